package dispatcher

import (
	"context"
	"fmt"
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
