package dispatcher

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

func entries(app string, p Priority, n, weight int) []entry {
	out := make([]entry, n)
	for i := range out {
		out[i] = entry{stream: "s", id: fmt.Sprintf("%s-%d-%d", app, p, i), app: app, prio: p, weight: weight}
	}
	return out
}

// TestSchedulerWeights: with every priority backlogged, picks go six,
// three and one in ten to high, normal and low.
func TestSchedulerWeights(t *testing.T) {
	s := newScheduler(1000, 100000, 1, 1000)
	for _, p := range byRank {
		s.add(entries("a"+p.String(), p, 500, 1))
	}
	got := map[Priority]int{}
	for range 100 {
		en, ok := s.pick()
		if !ok {
			t.Fatal("nothing picked from a full scheduler")
		}
		got[en.prio]++
	}
	want := map[Priority]int{PriorityHigh: 60, PriorityNormal: 30, PriorityLow: 10}
	for p, n := range want {
		if got[p] != n {
			t.Errorf("%s: %d picks of 100, want %d", p, got[p], n)
		}
	}
}

// TestSchedulerLowNeverStarves: low-priority entries run while high ones
// keep coming.
func TestSchedulerLowNeverStarves(t *testing.T) {
	s := newScheduler(1000, 100000, 1, 1000)
	s.add(entries("bulk", PriorityLow, 5, 1))
	lows := 0
	for range 50 {
		s.add(entries("chat", PriorityHigh, 1, 1))
		if en, ok := s.pick(); ok && en.prio == PriorityLow {
			lows++
		}
	}
	if lows == 0 {
		t.Fatal("a steady stream of high-priority jobs starved the low ones")
	}
}

// TestSchedulerAppShare: an app at its share is skipped for another
// app's entry queued behind it, and runs again once its jobs end.
func TestSchedulerAppShare(t *testing.T) {
	s := newScheduler(10, 1000, 0.5, 1000)
	s.add(entries("A", PriorityNormal, 20, 1))
	s.add(entries("B", PriorityNormal, 1, 1))
	var running []entry
	for range 5 {
		en, ok := s.pick()
		if !ok || en.app != "A" {
			t.Fatalf("pick %+v %v, want app A", en, ok)
		}
		running = append(running, en)
	}
	en, ok := s.pick()
	if !ok || en.app != "B" {
		t.Fatalf("with A at its share (5 of 10 jobs), picked %+v %v, want B's job", en, ok)
	}
	if en, ok := s.pick(); ok {
		t.Fatalf("picked %+v while A holds its share and B has nothing queued", en)
	}
	s.done(running[0])
	if en, ok := s.pick(); !ok || en.app != "A" {
		t.Fatalf("after one of A's jobs ended, picked %+v %v", en, ok)
	}
}

// TestSchedulerWeightShare: the share counts deliveries too; an app's
// first job runs whatever its size.
func TestSchedulerWeightShare(t *testing.T) {
	s := newScheduler(100, 1000, 0.5, 1000)
	s.add(entries("A", PriorityNormal, 3, 5000))
	s.add(entries("B", PriorityNormal, 1, 10))
	if en, ok := s.pick(); !ok || en.app != "A" {
		t.Fatalf("an app's first job, however large, must run: %+v %v", en, ok)
	}
	if en, ok := s.pick(); !ok || en.app != "B" {
		t.Fatalf("A holds its share of deliveries; got %+v %v, want B", en, ok)
	}
}

// TestSchedulerLowCap: low-priority jobs hold at most three quarters of
// the job slots, leaving the rest for the others.
func TestSchedulerLowCap(t *testing.T) {
	s := newScheduler(8, 1000, 1, 1000)
	for i := range 10 {
		s.add(entries(fmt.Sprint("bulk", i), PriorityLow, 1, 1))
	}
	n := 0
	for {
		if _, ok := s.pick(); !ok {
			break
		}
		n++
	}
	if n != 6 {
		t.Fatalf("%d low-priority jobs running of 8 slots, want 6", n)
	}
	s.add(entries("chat", PriorityHigh, 1, 1))
	if en, ok := s.pick(); !ok || en.app != "chat" {
		t.Fatalf("high-priority job not picked beside a low backlog: %+v %v", en, ok)
	}
}

// TestSchedulerRoom: readers wait while every priority is full and wake
// when a pick makes room.
func TestSchedulerRoom(t *testing.T) {
	s := newScheduler(100, 1000, 1, 2)
	for _, p := range byRank {
		s.add(entries("a", p, 2, 1))
	}
	if ps, _ := s.withRoom(); len(ps) != 0 {
		t.Fatalf("priorities %v have room in a full scheduler", ps)
	}
	woke := make(chan struct{})
	go func() {
		s.waitRoom(context.Background())
		close(woke)
	}()
	select {
	case <-woke:
		t.Fatal("waitRoom returned with no room")
	case <-time.After(50 * time.Millisecond):
	}
	s.pick()
	select {
	case <-woke:
	case <-time.After(5 * time.Second):
		t.Fatal("a pick that made room did not wake the reader")
	}
	if ps, n := s.withRoom(); len(ps) != 1 || n != 1 {
		t.Fatalf("withRoom = %v, %d after one pick", ps, n)
	}
}

// TestSchedulerRoomBytes: a priority holding its byte room reads nothing
// more however few entries it holds, the next read is sized by the
// entries' average, and a pick that brings it under its room wakes the
// readers.
func TestSchedulerRoomBytes(t *testing.T) {
	s := newScheduler(100, 1000, 1, 128)
	s.roomBytes = 100 << 10
	big := func(n int) []entry {
		es := entries("a", PriorityNormal, n, 1)
		for i := range es {
			es[i].payload = make([]byte, 40<<10)
		}
		return es
	}
	s.add(big(1))
	if ps, n := s.withRoom(); !slices.Contains(ps, PriorityNormal) || n != minSharedRead {
		// Normal's byte room takes one more entry, high and low 128: a
		// read of the three takes minSharedRead.
		t.Fatalf("withRoom = %v, %d with 40 KiB of 100 queued", ps, n)
	}
	s.mu.Lock()
	takes := s.takes(PriorityNormal)
	s.mu.Unlock()
	if takes != 1 {
		t.Fatalf("a read of the normal priority may take %d entries of 40 KiB into the 60 KiB left, want 1", takes)
	}
	s.add(big(2))
	s.mu.Lock()
	room := s.hasRoom(PriorityNormal)
	s.mu.Unlock()
	if room {
		t.Fatal("3 entries of 40 KiB fit a room of 100 KiB")
	}
	// The pick that brings normal under its byte room wakes the readers
	// (closes the roomy channel they wait on).
	for {
		s.mu.Lock()
		roomy := s.roomy
		s.mu.Unlock()
		en, ok := s.pick()
		if !ok {
			t.Fatal("nothing to pick")
		}
		if en.prio != PriorityNormal {
			continue
		}
		select {
		case <-roomy:
		default:
			t.Fatal("a pick under the byte room did not wake the readers")
		}
		break
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bytes[PriorityNormal] != 80<<10 {
		t.Fatalf("normal holds %d bytes after one of three picks, want %d", s.bytes[PriorityNormal], 80<<10)
	}
}
