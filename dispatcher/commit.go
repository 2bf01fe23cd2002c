package dispatcher

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// commitOp is what finishing (part of) a job writes to Redis: its events,
// the done markers of a wave, the marker keys to delete and the stream
// entry to acknowledge and delete.
type commitOp struct {
	events  []Event
	markKey string
	marks   []any
	markTTL time.Duration
	delKeys []string
	ack     string
	// done, when set, is closed once everything above is written.
	done chan struct{}
}

// committer writes the commitOps of every job of a worker in shared
// pipelines (group commit): while one pipeline is in flight, the ops that
// arrive queue up and go together in the next. A write Redis refuses (it
// is down, or out of memory) is retried with backoff until it succeeds;
// only the parts that failed are written again, so no event is doubled.
// Acknowledgements never need memory (XACK and XDEL are not denied under
// maxmemory), and they free the entries' memory.
type committer struct {
	rdb    redis.UniversalClient
	stream *JobStream
	sink   *StreamSink
	also   EventSink
	log    *slog.Logger
	ops    chan *commitOp
	closed chan struct{}
	// giveUpAt, once set (unix ns), ends the retries of writes still
	// failing: on shutdown, what is not written stays in the stream and
	// another worker does the job again (at least once).
	giveUpAt atomic.Int64
}

// maxCommit bounds the ops in one pipeline.
const maxCommit = 512

func newCommitter(rdb redis.UniversalClient, stream *JobStream, sink *StreamSink, also EventSink, log *slog.Logger) *committer {
	c := &committer{rdb: rdb, stream: stream, sink: sink, also: also, log: log,
		ops: make(chan *commitOp, 4096), closed: make(chan struct{})}
	go c.loop()
	return c
}

// submit queues op; it returns at once.
func (c *committer) submit(op *commitOp) { c.ops <- op }

// close writes what is queued and stops, retrying failed writes for at
// most grace.
func (c *committer) close(grace time.Duration) {
	c.giveUpAt.Store(time.Now().Add(grace).UnixNano())
	close(c.ops)
	<-c.closed
}

func (c *committer) loop() {
	defer close(c.closed)
	for op := range c.ops {
		batch := []*commitOp{op}
	more:
		for len(batch) < maxCommit {
			select {
			case op2, ok := <-c.ops:
				if !ok {
					break more
				}
				batch = append(batch, op2)
			default:
				break more
			}
		}
		c.write(batch)
	}
}

// pending is what of a batch is still to be written.
type pending struct {
	events  []Event
	marks   []*commitOp
	delKeys []string
	acks    []string
}

func gather(batch []*commitOp) *pending {
	p := &pending{}
	for _, op := range batch {
		p.events = append(p.events, op.events...)
		if op.markKey != "" {
			p.marks = append(p.marks, op)
		}
		p.delKeys = append(p.delKeys, op.delKeys...)
		if op.ack != "" {
			p.acks = append(p.acks, op.ack)
		}
	}
	return p
}

func (p *pending) empty() bool {
	return len(p.events) == 0 && len(p.marks) == 0 && len(p.delKeys) == 0 && len(p.acks) == 0
}

// write writes batch, retrying what fails, then releases its waiters.
func (c *committer) write(batch []*commitOp) {
	p := gather(batch)
	written := make([]Event, 0, len(p.events))
	pause := 50 * time.Millisecond
	for attempt := 0; !p.empty(); attempt++ {
		ok, err := c.try(p)
		written = append(written, ok...)
		if p.empty() {
			break
		}
		if g := c.giveUpAt.Load(); g != 0 && time.Now().UnixNano() > g {
			c.log.Error("shutting down with job outcomes not written; their jobs stay queued and run again",
				"err", err, "entries", len(p.acks), "events", len(p.events))
			break
		}
		if attempt == 0 || attempt%20 == 0 {
			c.log.Warn("could not write job outcomes to Redis; retrying", "err", err, "attempt", attempt+1)
		}
		time.Sleep(pause)
		pause = min(pause*2, 2*time.Second)
	}
	if c.also != nil && len(written) > 0 {
		c.also.Emit(context.Background(), written)
	}
	for _, op := range batch {
		if op.done != nil {
			close(op.done)
		}
	}
}

// try writes p in one pipeline and leaves in p only what failed; it
// returns the events written.
func (c *committer) try(p *pending) ([]Event, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pipe := c.rdb.Pipeline()
	evCmds := c.sink.Append(ctx, pipe, p.events)
	markCmds := make([]redis.Cmder, len(p.marks))
	for i, op := range p.marks {
		markCmds[i] = pipe.SAdd(ctx, op.markKey, op.marks...)
		pipe.PExpire(ctx, op.markKey, op.markTTL)
	}
	var del, ack, xdel redis.Cmder
	if len(p.delKeys) > 0 {
		del = pipe.Del(ctx, p.delKeys...)
	}
	if len(p.acks) > 0 {
		ack = pipe.XAck(ctx, c.stream.Key(), streamGroup, p.acks...)
		xdel = pipe.XDel(ctx, c.stream.Key(), p.acks...)
	}
	_, err := pipe.Exec(ctx)
	if err == nil {
		ok := p.events
		*p = pending{}
		return ok, nil
	}
	var ok, failed []Event
	for i, cmd := range evCmds {
		if cmd.Err() != nil {
			failed = append(failed, p.events[i])
		} else {
			ok = append(ok, p.events[i])
		}
	}
	var marks []*commitOp
	for i, cmd := range markCmds {
		if cmd.Err() != nil {
			marks = append(marks, p.marks[i])
		}
	}
	next := pending{events: failed, marks: marks}
	if del != nil && del.Err() != nil {
		next.delKeys = p.delKeys
	}
	if ack != nil && (ack.Err() != nil || xdel.Err() != nil) {
		next.acks = p.acks
	}
	*p = next
	return ok, err
}
