package dispatcher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Queue is the asynq queue pushd's tasks go to.
const Queue = "push"

// TaskID is the asynq task id of a job: one per (app, msg_id), which makes
// enqueueing idempotent.
func TaskID(appID, msgID string) string { return "msg:" + appID + ":" + msgID }

// RetryTaskID is the asynq task id of the push:retry task of one
// certificate's failed deliveries of a message.
func RetryTaskID(appID, msgID string, certID int64) string {
	return fmt.Sprintf("retry:%s:%s:%d", appID, msgID, certID)
}

// NewMessageTask validates job and returns the push:message task a Go
// message service enqueues. Its TaskID is derived from msg_id, so enqueueing
// the same message twice is refused by asynq (asynq.ErrTaskIDConflict) and
// the job runs once. retention keeps the completed task (and so the id)
// around; 24h is the default of the worker.
func NewMessageTask(job *Job, retention time.Duration) (*asynq.Task, error) {
	if err := job.Validate(time.Now()); err != nil {
		return nil, err
	}
	b, err := json.Marshal(job)
	if err != nil {
		return nil, fmt.Errorf("encode job: %w", err)
	}
	if retention <= 0 {
		retention = 24 * time.Hour
	}
	return asynq.NewTask(TypeMessage, b,
		asynq.TaskID(TaskID(job.AppID, job.MsgID)),
		asynq.Queue(Queue),
		asynq.MaxRetry(5),
		asynq.Retention(retention),
	), nil
}

// EnqueueTask puts job on asynq as a push:message task, for a message
// service that talks to asynq itself (Enqueue, on the job stream, is the
// fast path). It returns the task id and whether the job had already been
// enqueued (then nothing new is queued).
func EnqueueTask(ctx context.Context, c Enqueuer, job *Job, retention time.Duration) (taskID string, duplicate bool, err error) {
	t, err := NewMessageTask(job, retention)
	if err != nil {
		return "", false, err
	}
	id := TaskID(job.AppID, job.MsgID)
	_, err = c.EnqueueContext(ctx, t)
	switch {
	case errors.Is(err, asynq.ErrTaskIDConflict), errors.Is(err, asynq.ErrDuplicateTask):
		return id, true, nil
	case err != nil:
		return "", false, fmt.Errorf("enqueue %s: %w", id, err)
	}
	return id, false, nil
}
