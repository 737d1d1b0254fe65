package storage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/trellis-studio/trellis/workflow"
)

// Interrupted is the error recorded on runs, and on their unfinished nodes,
// that were in progress when the process stopped.
const Interrupted = "interrupted by a restart"

// MaxPreviewSize bounds one stored output preview. Previews are first rows
// and column statistics; anything larger belongs in a blob, not in bbolt.
const MaxPreviewSize = 1 << 20

// Run is a stored run of one revision of a workflow: the engine's run
// (status, times, per-node results with logs and fitted state) plus who
// started what.
type Run struct {
	ID         string    `json:"id"`
	WorkflowID string    `json:"workflow_id"`
	Revision   int       `json:"revision"`
	Created    time.Time `json:"created"`
	StartedBy  string    `json:"started_by,omitempty"`
	// Targets are the nodes a partial run ran up to; empty for all.
	Targets []string `json:"targets,omitempty"`
	// Error is why the run failed as a whole (an invalid workflow, a
	// restart), beyond the failures of its nodes.
	Error string `json:"error,omitempty"`
	workflow.Run
}

// CreateRun records a new run with a new id (time-ordered, so runs list in
// the order they were made). The status defaults to queued. It returns
// ErrNotFound when the workflow or its revision does not exist.
func (s *Store) CreateRun(r Run) (*Run, error) {
	r.ID = newID()
	r.Created = time.Now().UTC()
	if r.Status == "" {
		r.Status = workflow.StatusQueued
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, _, err := workflowBucket(tx, r.WorkflowID)
		if err != nil {
			return err
		}
		if _, err := getRevision(b, r.WorkflowID, r.Revision); err != nil {
			return err
		}
		rb, err := tx.Bucket(bucketRuns).CreateBucket([]byte(r.ID))
		if err != nil {
			return err
		}
		for _, name := range [][]byte{keyNodes, keyPreviews} {
			if _, err := rb.CreateBucket(name); err != nil {
				return err
			}
		}
		byWorkflow, err := tx.Bucket(bucketRunsByWorkflow).CreateBucketIfNotExists([]byte(r.WorkflowID))
		if err != nil {
			return err
		}
		if err := byWorkflow.Put([]byte(r.ID), nil); err != nil {
			return err
		}
		return putRun(tx, rb, &r)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// UpdateRun changes a run through fn in one transaction, as the run
// progresses: status, times, node results. The id, workflow, revision and
// creation time cannot change. Only node results that changed are written.
// It returns ErrNotFound, or fn's error (nothing is written).
func (s *Store) UpdateRun(id string, fn func(*Run) error) (*Run, error) {
	var r *Run
	err := s.db.Update(func(tx *bolt.Tx) error {
		rb, old, err := getRun(tx, id, true)
		if err != nil {
			return err
		}
		c := *old
		if err := fn(&c); err != nil {
			return err
		}
		c.ID, c.WorkflowID, c.Revision, c.Created = old.ID, old.WorkflowID, old.Revision, old.Created
		r = &c
		return putRun(tx, rb, &c)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Run returns a run with its node results, or ErrNotFound.
func (s *Store) Run(id string) (*Run, error) {
	var r *Run
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		_, r, err = getRun(tx, id, true)
		return err
	})
	return r, err
}

// Runs lists a workflow's runs newest first, at most limit of them (all when
// limit <= 0). Listed runs have no node results (Nodes is nil); Run has
// them. It returns ErrNotFound when there is no such workflow.
func (s *Store) Runs(workflowID string, limit int) ([]*Run, error) {
	var rs []*Run
	err := s.db.View(func(tx *bolt.Tx) error {
		if _, _, err := workflowBucket(tx, workflowID); err != nil {
			return err
		}
		ids := tx.Bucket(bucketRunsByWorkflow).Bucket([]byte(workflowID))
		if ids == nil {
			return nil
		}
		c := ids.Cursor()
		for k, _ := c.Last(); k != nil && (limit <= 0 || len(rs) < limit); k, _ = c.Prev() {
			_, r, err := getRun(tx, string(k), false)
			if err != nil {
				return err
			}
			rs = append(rs, r)
		}
		return nil
	})
	return rs, err
}

// DeleteRun removes a finished run with its results and previews. It
// returns ErrNotFound, or ErrInUse while the run is in progress.
func (s *Store) DeleteRun(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		_, r, err := getRun(tx, id, false)
		if err != nil {
			return err
		}
		if tx.Bucket(bucketRunsActive).Get([]byte(id)) != nil {
			return fmt.Errorf("run %s: in progress: %w", id, ErrInUse)
		}
		if ids := tx.Bucket(bucketRunsByWorkflow).Bucket([]byte(r.WorkflowID)); ids != nil {
			if err := ids.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketRuns).DeleteBucket([]byte(id))
	})
}

// PutRunPreview stores the preview of one output port of a run's node:
// opaque JSON made by the caller (first rows, per-column statistics),
// replacing an earlier one. It returns ErrNotFound when there is no such run.
func (s *Store) PutRunPreview(runID string, port workflow.PortRef, preview []byte) error {
	if len(preview) > MaxPreviewSize {
		return fmt.Errorf("run %s: preview of %s is %d bytes, over the %d limit", runID, port, len(preview), MaxPreviewSize)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		rb := tx.Bucket(bucketRuns).Bucket([]byte(runID))
		if rb == nil {
			return fmt.Errorf("run %s: %w", runID, ErrNotFound)
		}
		return rb.Bucket(keyPreviews).Put([]byte(port.String()), preview)
	})
}

// RunPreview returns the stored preview of an output port, or ErrNotFound.
func (s *Store) RunPreview(runID string, port workflow.PortRef) ([]byte, error) {
	var p []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		rb := tx.Bucket(bucketRuns).Bucket([]byte(runID))
		if rb == nil {
			return fmt.Errorf("run %s: %w", runID, ErrNotFound)
		}
		v := rb.Bucket(keyPreviews).Get([]byte(port.String()))
		if v == nil {
			return fmt.Errorf("run %s preview %s: %w", runID, port, ErrNotFound)
		}
		p = bytes.Clone(v) // v is bbolt's memory, valid only in the transaction
		return nil
	})
	return p, err
}

// failInterruptedRuns marks the runs a crash or kill left in progress as
// failed. Only this process can have been running them: it holds the lock.
func (s *Store) failInterruptedRuns() (int, error) {
	var n int
	err := s.db.Update(func(tx *bolt.Tx) error {
		var ids []string
		err := tx.Bucket(bucketRunsActive).ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		for _, id := range ids {
			rb, r, err := getRun(tx, id, true)
			if err != nil {
				return err
			}
			r.Status, r.Finished, r.Error = workflow.StatusFailed, now, Interrupted
			for _, nr := range r.Nodes {
				switch nr.Status {
				case workflow.StatusRunning:
					nr.Status, nr.Error = workflow.StatusFailed, Interrupted
				case workflow.StatusQueued, "":
					nr.Status = workflow.StatusCanceled
				}
			}
			if err := putRun(tx, rb, r); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// putRun writes the run's header and the node results that changed, and
// keeps runs_active in step with the status.
func putRun(tx *bolt.Tx, rb *bolt.Bucket, r *Run) error {
	head := *r
	head.Nodes = nil
	if err := put(rb, keyInfo, &head); err != nil {
		return err
	}
	nodes := rb.Bucket(keyNodes)
	for id, nr := range r.Nodes {
		data, err := json.Marshal(nr)
		if err != nil {
			return fmt.Errorf("run %s node %s: %w", r.ID, id, err)
		}
		if bytes.Equal(nodes.Get([]byte(id)), data) {
			continue
		}
		if err := nodes.Put([]byte(id), data); err != nil {
			return err
		}
	}
	var gone [][]byte
	_ = nodes.ForEach(func(k, _ []byte) error {
		if _, ok := r.Nodes[string(k)]; !ok {
			gone = append(gone, bytes.Clone(k))
		}
		return nil
	})
	for _, k := range gone {
		if err := nodes.Delete(k); err != nil {
			return err
		}
	}
	active := tx.Bucket(bucketRunsActive)
	if r.Status.Done() {
		return active.Delete([]byte(r.ID))
	}
	return active.Put([]byte(r.ID), nil)
}

func getRun(tx *bolt.Tx, id string, withNodes bool) (*bolt.Bucket, *Run, error) {
	rb := tx.Bucket(bucketRuns).Bucket([]byte(id))
	if rb == nil {
		return nil, nil, fmt.Errorf("run %s: %w", id, ErrNotFound)
	}
	var r Run
	if _, err := get(rb, keyInfo, &r); err != nil {
		return nil, nil, fmt.Errorf("run %s: %w", id, err)
	}
	r.Nodes = nil
	if withNodes {
		r.Nodes = map[string]*workflow.NodeRun{}
		err := rb.Bucket(keyNodes).ForEach(func(k, v []byte) error {
			var nr workflow.NodeRun
			if err := decode(k, v, &nr); err != nil {
				return err
			}
			r.Nodes[string(k)] = &nr
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("run %s: %w", id, err)
		}
	}
	return rb, &r, nil
}
