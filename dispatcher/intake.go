package dispatcher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// EncodedJob is a validated job ready for the stream.
type EncodedJob struct {
	AppID, MsgID string
	JSON         []byte
	// Priority picks the job's stream; Weight is its number of
	// recipients or devices.
	Priority Priority
	Weight   int
}

// Encode validates j and encodes it for the stream.
func Encode(j *Job, now time.Time) (EncodedJob, error) {
	if err := j.Validate(now); err != nil {
		return EncodedJob{}, err
	}
	b, err := json.Marshal(j)
	if err != nil {
		return EncodedJob{}, fmt.Errorf("encode job: %w", err)
	}
	return Encoded(j, b), nil
}

// Encoded returns the EncodedJob of a validated job and its JSON (as the
// API received it, or as Encode made it).
func Encoded(j *Job, raw []byte) EncodedJob {
	return EncodedJob{AppID: j.AppID, MsgID: j.MsgID, JSON: raw, Priority: j.Lane(),
		Weight: max(len(j.Recipients), len(j.Devices))}
}

// ErrQueueFull is returned while Redis is above its high-water mark: the
// job was not queued, and the caller should come back after RetryAfter.
var ErrQueueFull = errors.New("the queue is full: Redis is above its memory high-water mark; retry later")

// IntakeConfig tunes an Intake.
type IntakeConfig struct {
	// MaxBatch bounds the jobs written in one round trip (default 256).
	MaxBatch int
	// Guard, when set, refuses jobs while Redis is nearly full.
	Guard *MemoryGuard
	// Timeout bounds one round trip to Redis (default 5s).
	Timeout time.Duration
}

// Intake hands jobs to the stream. Concurrent callers' jobs share round
// trips: while one write is in flight, the jobs that arrive queue up and
// go together in the next (group commit), so a burst of HTTP requests
// costs a few round trips, and a lone request waits for nothing.
type Intake struct {
	stream *JobStream
	cfg    IntakeConfig
	reqs   chan *intakeReq
	done   chan struct{}
	once   sync.Once
	// expiredAt and expiredBucket say when, and in which dedupe bucket,
	// the buckets' expiry was last set (by the loop goroutine only).
	expiredAt     time.Time
	expiredBucket int64
}

type intakeReq struct {
	ctx  context.Context
	jobs []EncodedJob
	out  []Enqueued
	done chan struct{}
}

// NewIntake starts an Intake on s; Close stops it.
func NewIntake(s *JobStream, cfg IntakeConfig) *Intake {
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	in := &Intake{stream: s, cfg: cfg, reqs: make(chan *intakeReq, 1024), done: make(chan struct{})}
	go in.loop()
	return in
}

// bucketExpiry is how often an Intake sets the dedupe buckets' expiry, with
// its write of the jobs: once every few seconds and whenever a new bucket
// starts, not once per job.
const bucketExpiry = 5 * time.Second

// expiredLately reports whether this write may skip the buckets' expiry,
// and notes that the coming write sets it otherwise.
func (in *Intake) expiredLately() bool {
	now := time.Now()
	cur, _, _ := dedupeBuckets(in.stream.retention, now)
	if cur == in.expiredBucket && now.Sub(in.expiredAt) < bucketExpiry {
		return true
	}
	in.expiredAt, in.expiredBucket = now, cur
	return false
}

// Close stops the intake after the writes queued so far; later calls do
// nothing.
func (in *Intake) Close() {
	in.once.Do(func() { close(in.reqs) })
	<-in.done
}

// Enqueue queues jobs and returns one outcome per job, in order.
func (in *Intake) Enqueue(ctx context.Context, jobs []EncodedJob) []Enqueued {
	if in.cfg.Guard != nil && in.cfg.Guard.Full() {
		out := make([]Enqueued, len(jobs))
		for i := range out {
			out[i] = Enqueued{Err: ErrQueueFull}
		}
		return out
	}
	r := &intakeReq{ctx: ctx, jobs: jobs, done: make(chan struct{})}
	select {
	case in.reqs <- r:
	case <-ctx.Done():
		return failAll(make([]Enqueued, len(jobs)), jobs, ctx.Err())
	}
	<-r.done
	return r.out
}

func (in *Intake) loop() {
	defer close(in.done)
	for r := range in.reqs {
		group := []*intakeReq{r}
		n := len(r.jobs)
	more:
		for n < in.cfg.MaxBatch {
			select {
			case r2, ok := <-in.reqs:
				if !ok {
					break more
				}
				group = append(group, r2)
				n += len(r2.jobs)
			default:
				break more
			}
		}
		in.write(group, n)
	}
}

// write appends the jobs of group in one round trip and answers each.
func (in *Intake) write(group []*intakeReq, n int) {
	jobs := make([]EncodedJob, 0, n)
	for _, r := range group {
		if r.ctx.Err() == nil {
			jobs = append(jobs, r.jobs...)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), in.cfg.Timeout)
	out := in.stream.append(ctx, jobs, !in.expiredLately())
	cancel()
	if g := in.cfg.Guard; g != nil {
		size := 0
		for _, j := range jobs {
			size += len(j.JSON)
		}
		g.Added(len(jobs), size)
	}
	k := 0
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.out = failAll(make([]Enqueued, len(r.jobs)), r.jobs, err)
		} else {
			r.out, k = out[k:k+len(r.jobs)], k+len(r.jobs)
		}
		close(r.done)
	}
}

// Enqueue validates job and puts it on the stream: the way a Go message
// service hands over a job. It returns the task id and whether the msg_id
// had already been enqueued within the retention (then nothing is queued).
func Enqueue(ctx context.Context, s *JobStream, job *Job) (taskID string, duplicate bool, err error) {
	res := EnqueueMany(ctx, s, []*Job{job})[0]
	return res.TaskID, res.Duplicate, res.Err
}

// EnqueueMany validates and queues jobs in one round trip; an invalid job
// gets its *FieldError and does not stop the others.
func EnqueueMany(ctx context.Context, s *JobStream, jobs []*Job) []Enqueued {
	out := make([]Enqueued, len(jobs))
	var enc []EncodedJob
	var at []int
	now := time.Now()
	for i, j := range jobs {
		e, err := Encode(j, now)
		if err != nil {
			out[i].Err = err
			continue
		}
		enc = append(enc, e)
		at = append(at, i)
	}
	for k, r := range s.Append(ctx, enc) {
		out[at[k]] = r
	}
	return out
}
