package dispatcher

import (
	"context"
	"sync"
)

// scheduler holds the entries read from the job stream until a job slot
// takes them, and decides which goes next: a weighted choice between the
// priorities that have work (six high, three normal, one low in ten), the
// oldest entry first within a priority, skipping the entries of an app
// that already holds its share of the worker and low-priority entries
// while low-priority jobs hold three quarters of it. Readers add entries
// while their priority has room, so a backlog of low-priority jobs never
// keeps high-priority ones from being read.
type scheduler struct {
	mu     sync.Mutex
	queues [numPriorities][]entry
	// room is how many entries each priority may hold here, roomBytes
	// how many bytes of job payload: a backlog of large jobs (a job may be
	// 1 MiB) must not fill a worker's memory with 128 of them per
	// priority. bytes is what each priority holds now, avg the running
	// average size of its entries, which sizes the next read.
	room, roomBytes int
	bytes, avg      [numPriorities]int
	// wake is signalled when an entry is added or a job ends (one
	// goroutine waits on it); roomy is closed, and replaced, when a
	// priority's queue gets room (every shard's reader waits on it).
	wake  chan struct{}
	roomy chan struct{}
	turn  int

	maxJobs, maxWeight int
	appJobs, appWeight int
	lowJobs, lowWeight int
	apps               map[string]*share
	low                share
}

// share is what one app (or the low priority) holds of the worker.
type share struct{ jobs, weight int }

// schedulePattern is the order of picks while every priority has work.
var schedulePattern = func() []Priority {
	var out []Priority
	for i := range 10 {
		for _, p := range byRank {
			if i < priorityWeights[p] {
				out = append(out, p)
			}
		}
	}
	return out
}()

// newScheduler returns a scheduler for a worker of maxJobs jobs and
// maxWeight deliveries at once, where one app may hold appShare (0 < s
// ≤ 1) of either, and each priority queues at most room entries.
func newScheduler(maxJobs, maxWeight int, appShare float64, room int) *scheduler {
	if appShare <= 0 || appShare > 1 {
		appShare = 1
	}
	frac := func(n int, f float64) int { return max(int(float64(n)*f), 1) }
	return &scheduler{room: room, roomBytes: defaultReadAheadBytes, wake: make(chan struct{}, 1), roomy: make(chan struct{}, 1),
		maxJobs: maxJobs, maxWeight: maxWeight,
		appJobs: frac(maxJobs, appShare), appWeight: frac(maxWeight, appShare),
		lowJobs: frac(maxJobs, 0.75), lowWeight: frac(maxWeight, 0.75),
		apps: map[string]*share{}}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// defaultReadAheadBytes bounds the job payload each priority reads ahead
// (EngineConfig.ReadAheadBytes): some hundred one-device jobs, or a dozen
// of 1 000 devices, and at least one entry.
const defaultReadAheadBytes = 1 << 20

// hasRoom reports whether priority p may read more entries; s.mu is held.
func (s *scheduler) hasRoom(p Priority) bool {
	return len(s.queues[p]) < s.room && s.bytes[p] < s.roomBytes
}

// takes is how many entries a read of priority p may take: what its room
// has left, and no more than its byte room holds at its entries' average
// size (at least one); s.mu is held.
func (s *scheduler) takes(p Priority) int {
	n := s.room - len(s.queues[p])
	if s.avg[p] > 0 {
		n = min(n, max((s.roomBytes-s.bytes[p])/s.avg[p], 1))
	}
	return n
}

// withRoom returns the priorities whose queue has room, highest first, and
// how many entries one read of all of them may take. XREADGROUP's COUNT
// holds for each stream read, so the count is the tightest priority's
// (its byte room at its average entry size), but never below
// minSharedRead: a priority of large jobs must not slow the reading of
// one-device jobs to one entry a round trip. It may then take up to
// minSharedRead entries past its byte room (16 MiB of the largest jobs at
// worst, against the 128 of a count-only read-ahead).
func (s *scheduler) withRoom() ([]Priority, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ps []Priority
	most, least := 0, 0
	for _, p := range byRank {
		if s.hasRoom(p) {
			ps = append(ps, p)
			n := s.takes(p)
			most = max(most, n)
			if least == 0 || n < least {
				least = n
			}
		}
	}
	return ps, min(most, max(least, minSharedRead))
}

// minSharedRead is the smallest count of a read of several priorities
// (see withRoom).
const minSharedRead = 16

// roomOf reports whether priority p may read more entries, and how many.
func (s *scheduler) roomOf(p Priority) (bool, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.hasRoom(p) {
		return false, 0
	}
	return true, s.takes(p)
}

// waitRoom waits until some priority has room or ctx ends.
func (s *scheduler) waitRoom(ctx context.Context) {
	s.mu.Lock()
	has := false
	for _, p := range byRank {
		has = has || s.hasRoom(p)
	}
	roomy := s.roomy
	s.mu.Unlock()
	if has {
		return
	}
	select {
	case <-roomy:
	case <-ctx.Done():
	}
}

// madeRoom wakes every reader waiting for room; s.mu is held.
func (s *scheduler) madeRoom() {
	close(s.roomy)
	s.roomy = make(chan struct{})
}

// add queues entries read from the stream.
func (s *scheduler) add(es []entry) {
	if len(es) == 0 {
		return
	}
	s.mu.Lock()
	for _, en := range es {
		p := en.prio
		s.queues[p] = append(s.queues[p], en)
		s.bytes[p] += len(en.payload)
		if s.avg[p] == 0 {
			s.avg[p] = len(en.payload)
		} else {
			s.avg[p] += (len(en.payload) - s.avg[p]) / 8
		}
		s.avg[p] = max(s.avg[p], 1)
	}
	s.mu.Unlock()
	signal(s.wake)
}

// next waits for the entry to run next and counts it as running; false
// when ctx ended first.
func (s *scheduler) next(ctx context.Context) (entry, bool) {
	for {
		if en, ok := s.pick(); ok {
			return en, true
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return entry{}, false
		}
	}
}

// pick takes the next entry that fits, if any.
func (s *scheduler) pick() (entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range len(schedulePattern) {
		p := schedulePattern[s.turn%len(schedulePattern)]
		s.turn++
		if i := s.fitting(p); i >= 0 {
			roomy := s.hasRoom(p)
			q := s.queues[p]
			en := q[i]
			// In place: the head (the usual pick) is sliced off, which
			// append's growth amortises; a later entry is copied over.
			// The vacated slot is cleared so the array does not keep
			// the entry's job alive.
			if i == 0 {
				q[0] = entry{}
				q = q[1:]
			} else {
				copy(q[i:], q[i+1:])
				q[len(q)-1] = entry{}
				q = q[:len(q)-1]
			}
			s.queues[p] = q
			s.bytes[p] -= len(en.payload)
			s.hold(en, 1)
			if !roomy && s.hasRoom(p) {
				s.madeRoom()
			}
			return en, true
		}
	}
	return entry{}, false
}

// scanLimit bounds how far into a priority's queue pick looks for an
// entry whose app is under its share.
const scanLimit = 64

// fitting returns the index of the first entry of priority p that may
// run now, or -1.
func (s *scheduler) fitting(p Priority) int {
	q := s.queues[p]
	if len(q) == 0 {
		return -1
	}
	if p == PriorityLow && (s.low.jobs >= s.lowJobs || s.low.weight >= s.lowWeight) {
		return -1
	}
	for i := range min(len(q), scanLimit) {
		a := s.apps[q[i].app]
		if a == nil || a.jobs == 0 || (a.jobs < s.appJobs && a.weight+s.weightOf(q[i]) <= s.appWeight) {
			return i
		}
	}
	return -1
}

func (s *scheduler) weightOf(en entry) int { return min(max(en.weight, 1), s.maxWeight) }

// hold counts en as running (sign 1) or done (sign -1).
func (s *scheduler) hold(en entry, sign int) {
	w := s.weightOf(en) * sign
	a := s.apps[en.app]
	if a == nil {
		a = &share{}
		s.apps[en.app] = a
	}
	a.jobs += sign
	a.weight += w
	if a.jobs <= 0 {
		delete(s.apps, en.app)
	}
	if en.prio == PriorityLow {
		s.low.jobs += sign
		s.low.weight += w
	}
}

// done counts en's job as ended.
func (s *scheduler) done(en entry) {
	s.mu.Lock()
	s.hold(en, -1)
	s.mu.Unlock()
	signal(s.wake)
}

// drain removes and returns every queued entry (shutdown).
func (s *scheduler) drain() []entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []entry
	for p := range s.queues {
		out = append(out, s.queues[p]...)
		s.queues[p], s.bytes[p] = nil, 0
	}
	return out
}
