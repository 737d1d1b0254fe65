package storage

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/trellis-studio/trellis/workflow"
)

// Workflow is a stored workflow: its identity and its latest revision.
type Workflow struct {
	ID string `json:"id"`
	// Name is the latest revision's document name.
	Name string `json:"name"`
	// Revision is the latest revision number; the first save is 1.
	Revision  int       `json:"revision"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
	Updated   time.Time `json:"updated"`
	UpdatedBy string    `json:"updated_by"`
	// Datasets are the dataset names the latest revision's Import Data
	// nodes read.
	Datasets []string `json:"datasets,omitempty"`
	// Doc is the latest revision's document. Listings leave it nil.
	Doc *workflow.Workflow `json:"-"`
}

// Revision is one saved version of a workflow document. Revisions never
// change once written.
type Revision struct {
	WorkflowID string    `json:"workflow_id"`
	Number     int       `json:"number"`
	Saved      time.Time `json:"saved"`
	Author     string    `json:"author"`
	// Doc is the document. WorkflowRevisions leaves it nil.
	Doc *workflow.Workflow `json:"doc,omitempty"`
}

// CreateWorkflow stores a new workflow whose revision 1 is doc.
func (s *Store) CreateWorkflow(doc *workflow.Workflow, author string) (*Workflow, error) {
	var w *Workflow
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		w, err = createWorkflow(tx, doc, author)
		return err
	})
	return w, err
}

// SaveWorkflow stores doc as the next revision of the workflow. baseRevision
// is the revision the editor started from: if it is not the latest, nothing
// is written and the error wraps ErrConflict and names the latest revision,
// so that one author's save never silently replaces another's. It returns
// ErrNotFound when there is no such workflow.
func (s *Store) SaveWorkflow(id string, baseRevision int, doc *workflow.Workflow, author string) (*Workflow, error) {
	stored, err := encodeDoc(doc)
	if err != nil {
		return nil, err
	}
	var w *Workflow
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, info, err := workflowBucket(tx, id)
		if err != nil {
			return err
		}
		if baseRevision != info.Revision {
			return fmt.Errorf("workflow %s: saved on revision %d but the latest is %d: %w", id, baseRevision, info.Revision, ErrConflict)
		}
		rev := &Revision{WorkflowID: id, Number: info.Revision + 1, Saved: time.Now().UTC(), Author: author, Doc: stored}
		if err := putRevision(b, rev); err != nil {
			return err
		}
		info.Revision, info.Updated, info.UpdatedBy, info.Name = rev.Number, rev.Saved, author, stored.Name
		if err := indexDatasetUsers(tx, info, stored); err != nil {
			return err
		}
		if err := put(b, keyInfo, info); err != nil {
			return err
		}
		info.Doc = stored
		w = info
		return nil
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Workflow returns the workflow with its latest document, or ErrNotFound.
func (s *Store) Workflow(id string) (*Workflow, error) {
	var w *Workflow
	err := s.db.View(func(tx *bolt.Tx) error {
		b, info, err := workflowBucket(tx, id)
		if err != nil {
			return err
		}
		rev, err := getRevision(b, id, info.Revision)
		if err != nil {
			return err
		}
		info.Doc = rev.Doc
		w = info
		return nil
	})
	return w, err
}

// WorkflowRevision returns one revision with its document, or ErrNotFound.
func (s *Store) WorkflowRevision(id string, number int) (*Revision, error) {
	var r *Revision
	err := s.db.View(func(tx *bolt.Tx) error {
		b, _, err := workflowBucket(tx, id)
		if err != nil {
			return err
		}
		r, err = getRevision(b, id, number)
		return err
	})
	return r, err
}

// WorkflowRevisions lists a workflow's revisions newest first, without
// their documents. It returns ErrNotFound when there is no such workflow.
func (s *Store) WorkflowRevisions(id string) ([]*Revision, error) {
	var rs []*Revision
	err := s.db.View(func(tx *bolt.Tx) error {
		b, _, err := workflowBucket(tx, id)
		if err != nil {
			return err
		}
		c := b.Bucket(keyRevisions).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var head struct {
				Revision
				Doc skipJSON `json:"doc"` // shadows Revision.Doc: listings need no documents
			}
			if err := decode(k, v, &head); err != nil {
				return fmt.Errorf("workflow %s: %w", id, err)
			}
			rs = append(rs, &head.Revision)
		}
		return nil
	})
	return rs, err
}

// Workflows lists workflows whose name contains search (ignoring case; ""
// matches all), most recently saved first, without documents.
func (s *Store) Workflows(search string) ([]*Workflow, error) {
	search = strings.ToLower(search)
	var ws []*Workflow
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketWorkflows).ForEachBucket(func(k []byte) error {
			_, info, err := workflowBucket(tx, string(k))
			if err != nil {
				return err
			}
			if strings.Contains(strings.ToLower(info.Name), search) {
				ws = append(ws, info)
			}
			return nil
		})
	})
	slices.SortFunc(ws, func(a, b *Workflow) int {
		return cmp.Or(b.Updated.Compare(a.Updated), cmp.Compare(b.ID, a.ID))
	})
	return ws, err
}

// DuplicateWorkflow copies the latest document of a workflow into a new
// workflow named name ("Copy of …" when empty), starting at revision 1. It
// returns ErrNotFound when there is no such workflow.
func (s *Store) DuplicateWorkflow(id, name, author string) (*Workflow, error) {
	var w *Workflow
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, info, err := workflowBucket(tx, id)
		if err != nil {
			return err
		}
		rev, err := getRevision(b, id, info.Revision)
		if err != nil {
			return err
		}
		if name == "" {
			name = "Copy of " + info.Name
		}
		rev.Doc.Name = name
		w, err = createWorkflow(tx, rev.Doc, author)
		return err
	})
	return w, err
}

// DeleteWorkflow removes a workflow for good: every revision and every run of
// it with the runs' results. It returns ErrNotFound, or ErrInUse while a run
// of it is in progress.
func (s *Store) DeleteWorkflow(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		_, info, err := workflowBucket(tx, id)
		if err != nil {
			return err
		}
		if runs := tx.Bucket(bucketRunsByWorkflow).Bucket([]byte(id)); runs != nil {
			active := tx.Bucket(bucketRunsActive)
			err := runs.ForEach(func(k, _ []byte) error {
				if active.Get(k) != nil {
					return fmt.Errorf("workflow %s: run %s is in progress: %w", id, k, ErrInUse)
				}
				return tx.Bucket(bucketRuns).DeleteBucket(k)
			})
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketRunsByWorkflow).DeleteBucket([]byte(id)); err != nil {
				return err
			}
		}
		if err := indexDatasetUsers(tx, info, nil); err != nil {
			return err
		}
		return tx.Bucket(bucketWorkflows).DeleteBucket([]byte(id))
	})
}

func createWorkflow(tx *bolt.Tx, doc *workflow.Workflow, author string) (*Workflow, error) {
	stored, err := encodeDoc(doc)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	info := &Workflow{ID: newID(), Name: stored.Name, Revision: 1, Created: now, CreatedBy: author, Updated: now, UpdatedBy: author}
	b, err := tx.Bucket(bucketWorkflows).CreateBucket([]byte(info.ID))
	if err != nil {
		return nil, fmt.Errorf("workflow %s: %w", info.ID, err)
	}
	if _, err := b.CreateBucket(keyRevisions); err != nil {
		return nil, err
	}
	if err := putRevision(b, &Revision{WorkflowID: info.ID, Number: 1, Saved: now, Author: author, Doc: stored}); err != nil {
		return nil, err
	}
	if err := indexDatasetUsers(tx, info, stored); err != nil {
		return nil, err
	}
	if err := put(b, keyInfo, info); err != nil {
		return nil, err
	}
	info.Doc = stored
	return info, nil
}

// encodeDoc returns the document as it will be read back: a deep copy the
// caller cannot change under the store, with the format version filled in.
func encodeDoc(doc *workflow.Workflow) (*workflow.Workflow, error) {
	if doc == nil {
		return nil, errors.New("workflow document is missing")
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode workflow: %w", err)
	}
	var c workflow.Workflow
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("encode workflow: %w", err)
	}
	if c.Format == 0 {
		c.Format = workflow.FormatVersion
	}
	return &c, nil
}

func putRevision(b *bolt.Bucket, r *Revision) error {
	revs := b.Bucket(keyRevisions)
	if revs.Get(itob(r.Number)) != nil {
		// Unreachable while SaveWorkflow checks the base revision; kept so
		// that no code path can ever overwrite a revision.
		return fmt.Errorf("workflow %s revision %d: %w", r.WorkflowID, r.Number, ErrExists)
	}
	return put(revs, itob(r.Number), r)
}

func workflowBucket(tx *bolt.Tx, id string) (*bolt.Bucket, *Workflow, error) {
	b := tx.Bucket(bucketWorkflows).Bucket([]byte(id))
	if b == nil {
		return nil, nil, fmt.Errorf("workflow %s: %w", id, ErrNotFound)
	}
	var info Workflow
	if _, err := get(b, keyInfo, &info); err != nil {
		return nil, nil, fmt.Errorf("workflow %s: %w", id, err)
	}
	return b, &info, nil
}

func getRevision(b *bolt.Bucket, id string, number int) (*Revision, error) {
	var r Revision
	ok, err := get(b.Bucket(keyRevisions), itob(number), &r)
	if err != nil {
		return nil, fmt.Errorf("workflow %s revision %d: %w", id, number, err)
	}
	if !ok {
		return nil, fmt.Errorf("workflow %s revision %d: %w", id, number, ErrNotFound)
	}
	return &r, nil
}

// skipJSON decodes nothing, for fields a listing does not need.
type skipJSON struct{}

func (*skipJSON) UnmarshalJSON([]byte) error { return nil }
