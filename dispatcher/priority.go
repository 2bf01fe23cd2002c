package dispatcher

import (
	"context"
	"strings"
)

// Priority orders the work of the job stream. Each priority has its own
// stream per shard; workers take high-priority jobs six times as often as
// low ones and normal three times (a weighted choice, so low never
// starves), low-priority jobs hold at most three quarters of a worker's
// job slots and deliveries and low-priority sends a quarter of each
// vendor's bulkhead, and one app holds at
// most worker.app_share of them (docs/pipeline.md, "Priorities and fair
// shares"). They mirror Tencent IM's message priorities: calls and
// one-to-one messages first, group broadcasts last.
type Priority uint8

// The priorities. The zero value is normal, so a job encoded without one
// goes with the normal jobs.
const (
	PriorityNormal Priority = iota
	PriorityHigh
	PriorityLow
	numPriorities
)

// byRank lists the priorities highest first.
var byRank = [numPriorities]Priority{PriorityHigh, PriorityNormal, PriorityLow}

// priorityNames are the job contract's values of Job.Priority.
var priorityNames = [numPriorities]string{PriorityNormal: "normal", PriorityHigh: "high", PriorityLow: "low"}

// priorityWeights are how many of every ten picks go to each priority
// while all have work.
var priorityWeights = [numPriorities]int{PriorityNormal: 3, PriorityHigh: 6, PriorityLow: 1}

// String returns the priority's name in the job contract.
func (p Priority) String() string {
	if p < numPriorities {
		return priorityNames[p]
	}
	return "normal"
}

// ParsePriority parses a Job.Priority value.
func ParsePriority(s string) (Priority, bool) {
	for i, n := range priorityNames {
		if strings.EqualFold(s, n) {
			return Priority(i), true
		}
	}
	return PriorityNormal, false
}

// broadcastGroups are the group types whose messages are broadcasts:
// low priority unless the job says otherwise.
var broadcastGroups = map[string]bool{GroupAVChatRoom: true, GroupBChatRoom: true}

// bulkRecipients is the number of recipients past which a job without a
// priority counts as bulk (low).
const bulkRecipients = 1000

// Lane returns the job's priority: Job.Priority when given, else high
// for calls, explicit devices and one-to-one messages, low for broadcast
// rooms (AVChatRoom, BChatRoom) and jobs of more than 1 000 recipients,
// normal for other group messages.
func (j *Job) Lane() Priority {
	if p, ok := ParsePriority(j.Priority); ok {
		return p
	}
	switch {
	case j.OfflinePush.VoIP || len(j.Devices) > 0:
		return PriorityHigh
	case len(j.Recipients) > bulkRecipients:
		return PriorityLow
	case j.Group == nil:
		return PriorityHigh
	case broadcastGroups[j.Group.Type]:
		return PriorityLow
	}
	return PriorityNormal
}

func (j *Job) validatePriority() error {
	if j.Priority == "" {
		return nil
	}
	if _, ok := ParsePriority(j.Priority); !ok {
		return fieldErr("priority", "must be high, normal or low, got %q", j.Priority)
	}
	return nil
}

type priorityKey struct{}

// withPriority carries a job's priority to its sends (the bulkheads read
// it).
func withPriority(ctx context.Context, p Priority) context.Context {
	if p == PriorityNormal {
		return ctx
	}
	return context.WithValue(ctx, priorityKey{}, p)
}

// priorityOf returns the priority withPriority gave ctx, normal if none.
func priorityOf(ctx context.Context) Priority {
	if p, ok := ctx.Value(priorityKey{}).(Priority); ok {
		return p
	}
	return PriorityNormal
}
