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
	ack     entryRef
	// trace is the job run's trace, built in memory during the run; nil
	// traces the events alone.
	trace *traceBlob
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
	p := &pending{}
	var waiters []*commitOp
	pause := 50 * time.Millisecond
	var failures int
	for {
		if p.empty() || p.onlyEvents() {
			// Wait for new work; events that failed are retried after
			// pause, or sooner along with new work.
			op, ok := c.next(p.empty(), pause)
			switch {
			case !ok && p.empty():
				return
			case !ok && c.givingUp():
				c.dropEvents(p)
				return
			case !ok:
				time.Sleep(pause) // closed: only the events' retry is left
			case op != nil:
				c.add(p, op)
				waiters = append(waiters, op)
			}
		}
		waiters = c.drain(p, waiters)
		written, err := c.try(p)
		if c.also != nil && len(written) > 0 {
			c.also.Emit(context.Background(), written)
		}
		if !p.blocking() {
			// Every acknowledgement, marker and deletion is written: the
			// jobs are done, whatever became of their events.
			for _, op := range waiters {
				if op.done != nil {
					close(op.done)
				}
			}
			waiters = waiters[:0]
		}
		if p.empty() {
			pause, failures = 50*time.Millisecond, 0
			continue
		}
		failures++
		if failures == 1 || failures%20 == 0 {
			c.log.Warn("could not write job outcomes to Redis; retrying", "err", err, "attempt", failures,
				"acks", len(p.acks), "events", len(p.events), "traces", len(p.traces))
		}
		c.trimEvents(p)
		if c.givingUp() {
			c.log.Error("shutting down with job outcomes not written; their jobs stay queued and run again",
				"err", err, "entries", len(p.acks), "events", len(p.events))
			for _, op := range waiters {
				if op.done != nil {
					close(op.done)
				}
			}
			return
		}
		if p.blocking() {
			time.Sleep(pause)
		}
		pause = min(pause*2, 2*time.Second)
	}
}

// next returns the next op: it blocks when nothing is pending, and waits at
// most pause when only events wait for a retry (nil op, ok). ok is false
// once the committer is closed and drained.
func (c *committer) next(block bool, pause time.Duration) (*commitOp, bool) {
	if block {
		op, ok := <-c.ops
		return op, ok
	}
	t := time.NewTimer(pause)
	defer t.Stop()
	select {
	case op, ok := <-c.ops:
		return op, ok
	case <-t.C:
		return nil, true
	}
}

// drain adds the ops already queued to p, up to maxCommit.
func (c *committer) drain(p *pending, waiters []*commitOp) []*commitOp {
	for range maxCommit {
		select {
		case op, ok := <-c.ops:
			if !ok {
				return waiters
			}
			c.add(p, op)
			waiters = append(waiters, op)
		default:
			return waiters
		}
	}
	return waiters
}

// add adds op to p with its trace: the run's, or else its events' (every
// event written lands in its message's trace).
func (c *committer) add(p *pending, op *commitOp) {
	p.add(op)
	switch {
	case c.sink.Trace == nil:
	case op.trace != nil:
		p.traces = append(p.traces, op.trace)
	case len(op.events) > 0:
		p.traces = append(p.traces, eventBlobs(op.events)...)
	}
}

func (c *committer) givingUp() bool {
	g := c.giveUpAt.Load()
	return g != 0 && time.Now().UnixNano() > g
}

// maxEventBacklog bounds the events kept for a retry while Redis refuses
// them (it is out of memory, or down): past it the oldest are dropped, and
// counted, rather than let a worker's memory grow without bound.
const maxEventBacklog = 100_000

// maxTraceBacklog bounds the traces kept for a retry likewise.
const maxTraceBacklog = 10_000

func (c *committer) trimEvents(p *pending) {
	if n := len(p.events) - maxEventBacklog; n > 0 {
		c.log.Warn("dropping delivery events Redis keeps refusing", "dropped", n)
		p.events = p.events[n:]
	}
	if n := len(p.traces) - maxTraceBacklog; n > 0 {
		c.log.Warn("dropping message traces Redis keeps refusing", "dropped", n)
		p.traces = p.traces[n:]
	}
}

func (c *committer) dropEvents(p *pending) {
	if len(p.events) > 0 {
		c.log.Error("shutting down with delivery events not written", "events", len(p.events))
	}
}

// pending is what is still to be written.
type pending struct {
	events  []Event
	traces  []*traceBlob
	marks   []*commitOp
	delKeys []string
	acks    []entryRef
}

func (p *pending) add(op *commitOp) {
	p.events = append(p.events, op.events...)
	if op.markKey != "" {
		p.marks = append(p.marks, op)
	}
	p.delKeys = append(p.delKeys, op.delKeys...)
	if op.ack.id != "" {
		p.acks = append(p.acks, op.ack)
	}
}

func (p *pending) empty() bool { return len(p.events)+len(p.traces) == 0 && !p.blocking() }

// blocking reports whether jobs still wait on p: acknowledgements, markers
// and deletions (events alone do not hold a job).
func (p *pending) blocking() bool { return len(p.marks)+len(p.delKeys)+len(p.acks) > 0 }

func (p *pending) onlyEvents() bool { return len(p.events)+len(p.traces) > 0 && !p.blocking() }

// try writes p in one pipeline and leaves in p only what failed; it
// returns the events written.
func (c *committer) try(p *pending) ([]Event, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Order matters: a wave's markers before its job's acknowledgement
	// and the deletion of its marker key; acknowledgements (which free
	// the entries' memory) before the events (which take memory).
	pipe := c.rdb.Pipeline()
	markCmds := make([]redis.Cmder, len(p.marks))
	for i, op := range p.marks {
		markCmds[i] = pipe.SAdd(ctx, op.markKey, op.marks...)
		pipe.PExpire(ctx, op.markKey, op.markTTL)
	}
	// One XACK and XDEL per stream: shards are in different slots.
	var acks []redis.Cmder
	for stream, ids := range byStream(p.acks) {
		acks = append(acks, pipe.XAck(ctx, stream, streamGroup, ids...), pipe.XDel(ctx, stream, ids...))
	}
	// One DEL per key: the marker keys of different jobs are in different
	// Redis Cluster slots.
	dels := make([]redis.Cmder, len(p.delKeys))
	for i, k := range p.delKeys {
		dels[i] = pipe.Del(ctx, k)
	}
	evCmds := c.sink.Append(ctx, pipe, p.events)
	var trCmds []*redis.Cmd
	var trGroups [][]*traceBlob
	if c.sink.Trace != nil {
		// One command per app: a one-device job's trace is one EVAL.
		trCmds, trGroups = c.sink.Trace.queue(ctx, pipe, p.traces)
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
	for i, cmd := range trCmds {
		if cmd.Err() != nil {
			next.traces = append(next.traces, trGroups[i]...)
		}
	}
	for i, cmd := range dels {
		if cmd.Err() != nil {
			next.delKeys = append(next.delKeys, p.delKeys[i])
		}
	}
	for _, cmd := range acks {
		if cmd.Err() != nil {
			// Acknowledging again what was acknowledged is harmless.
			next.acks = p.acks
			break
		}
	}
	*p = next
	return ok, err
}
