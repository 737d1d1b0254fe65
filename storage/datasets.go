package storage

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/trellis-studio/trellis/modules/table"
	"github.com/trellis-studio/trellis/workflow"
)

// Dataset is uploaded data that workflows read by name. Its content lives in
// versions; a new upload under the same name adds a version.
type Dataset struct {
	ID string `json:"id"`
	// Name is unique regardless of case; Import Data nodes name it in their
	// source parameter.
	Name      string    `json:"name"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
	// Latest is the newest version.
	Latest DatasetVersion `json:"latest"`
}

// DatasetVersion is one upload of a dataset. The caller parses the upload
// and fills in what it learned; the store fills in the rest.
type DatasetVersion struct {
	DatasetID string `json:"dataset_id"` // filled in by the store
	Number    int    `json:"number"`     // filled in by the store, from 1
	// Hash names the content blob (PutBlob's hash); required.
	Hash string `json:"hash"`
	// Size is the blob's size in bytes, filled in by the store.
	Size   int64        `json:"size"`
	Format string       `json:"format,omitempty"` // csv, tsv, json
	Rows   int          `json:"rows"`
	Cols   int          `json:"cols"`
	Schema table.Schema `json:"schema,omitempty"`
	// Created and Author are filled in by the store.
	Created time.Time `json:"created"`
	Author  string    `json:"author"`
}

// DatasetUse is a workflow whose latest revision reads a dataset.
type DatasetUse struct {
	WorkflowID   string   `json:"workflow_id"`
	WorkflowName string   `json:"workflow_name"`
	Revision     int      `json:"revision"`
	Nodes        []string `json:"nodes"`
}

// importModule and sourceParam are how a workflow names a dataset: the
// source parameter of an Import Data node.
const (
	importModule = "import_data"
	sourceParam  = "source"
)

func datasetKey(name string) []byte { return []byte(strings.ToLower(name)) }

// CreateDataset stores a new dataset whose version 1 is v. It returns
// ErrExists when the name is taken (in any case) and ErrNotFound when v's
// blob is not in the blob store.
func (s *Store) CreateDataset(name, author string, v DatasetVersion) (*Dataset, error) {
	if strings.TrimSpace(name) == "" || name != strings.TrimSpace(name) {
		return nil, fmt.Errorf("dataset name %q: must be non-empty without surrounding spaces", name)
	}
	var d *Dataset
	err := s.recordBlob(v.Hash, func(tx *bolt.Tx, size int64) error {
		byName := tx.Bucket(bucketDatasetsByName)
		if byName.Get(datasetKey(name)) != nil {
			return fmt.Errorf("dataset %s: %w", name, ErrExists)
		}
		d = &Dataset{ID: newID(), Name: name, Created: time.Now().UTC(), CreatedBy: author}
		b, err := tx.Bucket(bucketDatasets).CreateBucket([]byte(d.ID))
		if err != nil {
			return err
		}
		if _, err := b.CreateBucket(keyVersions); err != nil {
			return err
		}
		if err := byName.Put(datasetKey(name), []byte(d.ID)); err != nil {
			return err
		}
		return addVersion(tx, b, d, v, size, author)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// AddDatasetVersion records v as the next version of the dataset. It returns
// ErrNotFound when there is no such dataset or v's blob is not stored.
func (s *Store) AddDatasetVersion(id, author string, v DatasetVersion) (*Dataset, error) {
	var d *Dataset
	err := s.recordBlob(v.Hash, func(tx *bolt.Tx, size int64) error {
		b, info, err := datasetBucket(tx, id)
		if err != nil {
			return err
		}
		d = info
		return addVersion(tx, b, d, v, size, author)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// recordBlob runs fn, a transaction that references the blob, with the blob
// held so that garbage collection cannot remove it in between; a hold left by
// PutBlob passes to the reference.
func (s *Store) recordBlob(hash string, fn func(tx *bolt.Tx, size int64) error) error {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	if !validHash(hash) {
		return fmt.Errorf("blob %q: %w", hash, ErrNotFound)
	}
	fi, err := os.Stat(s.blobPath(hash))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob %s: %w", hash, ErrNotFound)
	}
	if err != nil {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if _, err := blobRefs(tx, hash, +1); err != nil {
			return err
		}
		return fn(tx, fi.Size())
	})
	if err == nil && s.pending[hash] > 0 {
		if s.pending[hash]--; s.pending[hash] == 0 {
			delete(s.pending, hash)
		}
	}
	return err
}

func addVersion(tx *bolt.Tx, b *bolt.Bucket, d *Dataset, v DatasetVersion, size int64, author string) error {
	v.DatasetID, v.Number, v.Size, v.Created, v.Author = d.ID, d.Latest.Number+1, size, time.Now().UTC(), author
	if err := put(b.Bucket(keyVersions), itob(v.Number), &v); err != nil {
		return err
	}
	d.Latest = v
	return put(b, keyInfo, d)
}

// Dataset returns the dataset with the id, or ErrNotFound.
func (s *Store) Dataset(id string) (*Dataset, error) {
	var d *Dataset
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		_, d, err = datasetBucket(tx, id)
		return err
	})
	return d, err
}

// DatasetByName returns the dataset with the name, compared without regard
// to case, or ErrNotFound.
func (s *Store) DatasetByName(name string) (*Dataset, error) {
	var d *Dataset
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketDatasetsByName).Get(datasetKey(name))
		if id == nil {
			return fmt.Errorf("dataset %s: %w", name, ErrNotFound)
		}
		var err error
		_, d, err = datasetBucket(tx, string(id))
		return err
	})
	return d, err
}

// Datasets lists every dataset by name.
func (s *Store) Datasets() ([]*Dataset, error) {
	var ds []*Dataset
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDatasets).ForEachBucket(func(k []byte) error {
			_, d, err := datasetBucket(tx, string(k))
			if err != nil {
				return err
			}
			ds = append(ds, d)
			return nil
		})
	})
	slices.SortFunc(ds, func(a, b *Dataset) int {
		return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return ds, err
}

// DatasetVersion returns one version of a dataset, or ErrNotFound.
func (s *Store) DatasetVersion(id string, number int) (*DatasetVersion, error) {
	var v DatasetVersion
	err := s.db.View(func(tx *bolt.Tx) error {
		b, _, err := datasetBucket(tx, id)
		if err != nil {
			return err
		}
		ok, err := get(b.Bucket(keyVersions), itob(number), &v)
		if err == nil && !ok {
			err = ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("dataset %s version %d: %w", id, number, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// DatasetVersions lists a dataset's versions newest first. It returns
// ErrNotFound when there is no such dataset.
func (s *Store) DatasetVersions(id string) ([]*DatasetVersion, error) {
	var vs []*DatasetVersion
	err := s.db.View(func(tx *bolt.Tx) error {
		b, _, err := datasetBucket(tx, id)
		if err != nil {
			return err
		}
		c := b.Bucket(keyVersions).Cursor()
		for k, data := c.Last(); k != nil; k, data = c.Prev() {
			var v DatasetVersion
			if err := decode(k, data, &v); err != nil {
				return fmt.Errorf("dataset %s: %w", id, err)
			}
			vs = append(vs, &v)
		}
		return nil
	})
	return vs, err
}

// DatasetUsers lists the workflows whose latest revision reads the dataset
// name (compared without regard to case), with the nodes that read it.
func (s *Store) DatasetUsers(name string) ([]DatasetUse, error) {
	var uses []DatasetUse
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		uses, err = datasetUsers(tx, name)
		return err
	})
	return uses, err
}

// DeleteDataset removes a dataset and all its versions. Blob files no longer
// referenced are removed after the deletion commits. It returns ErrNotFound,
// or ErrInUse while the latest revision of a workflow reads the dataset —
// older revisions do not hold it, so running one of them later may find the
// dataset gone.
func (s *Store) DeleteDataset(id string) error {
	var unused []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, d, err := datasetBucket(tx, id)
		if err != nil {
			return err
		}
		uses, err := datasetUsers(tx, d.Name)
		if err != nil {
			return err
		}
		if len(uses) > 0 {
			names := make([]string, len(uses))
			for i, u := range uses {
				names[i] = fmt.Sprintf("%q", u.WorkflowName)
			}
			return fmt.Errorf("dataset %s: read by workflow %s: %w", d.Name, strings.Join(names, ", "), ErrInUse)
		}
		err = b.Bucket(keyVersions).ForEach(func(k, data []byte) error {
			var v DatasetVersion
			if err := decode(k, data, &v); err != nil {
				return err
			}
			gone, err := blobRefs(tx, v.Hash, -1)
			if gone {
				unused = append(unused, v.Hash)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("dataset %s: %w", id, err)
		}
		if err := tx.Bucket(bucketDatasetsByName).Delete(datasetKey(d.Name)); err != nil {
			return err
		}
		return tx.Bucket(bucketDatasets).DeleteBucket([]byte(id))
	})
	if err != nil {
		return err
	}
	if err := s.collectBlobs(unused); err != nil {
		s.log.Warn("dataset deleted; its blob files are left for the next start", "dataset", id, "err", err)
	}
	return nil
}

func datasetBucket(tx *bolt.Tx, id string) (*bolt.Bucket, *Dataset, error) {
	b := tx.Bucket(bucketDatasets).Bucket([]byte(id))
	if b == nil {
		return nil, nil, fmt.Errorf("dataset %s: %w", id, ErrNotFound)
	}
	var d Dataset
	if _, err := get(b, keyInfo, &d); err != nil {
		return nil, nil, fmt.Errorf("dataset %s: %w", id, err)
	}
	return b, &d, nil
}

func datasetUsers(tx *bolt.Tx, name string) ([]DatasetUse, error) {
	users := tx.Bucket(bucketDatasetUsers).Bucket(datasetKey(name))
	if users == nil {
		return nil, nil
	}
	var uses []DatasetUse
	err := users.ForEach(func(k, v []byte) error {
		u := DatasetUse{WorkflowID: string(k)}
		if err := decode(k, v, &u.Nodes); err != nil {
			return err
		}
		_, w, err := workflowBucket(tx, u.WorkflowID)
		if err != nil {
			return err
		}
		u.WorkflowName, u.Revision = w.Name, w.Revision
		uses = append(uses, u)
		return nil
	})
	return uses, err
}

// indexDatasetUsers points dataset_users at the workflow's new latest
// document (nil when the workflow goes) and records the names in w.Datasets,
// which is how the next save finds the entries to take down.
func indexDatasetUsers(tx *bolt.Tx, w *Workflow, doc *workflow.Workflow) error {
	users := tx.Bucket(bucketDatasetUsers)
	for _, name := range w.Datasets {
		b := users.Bucket(datasetKey(name))
		if b == nil {
			continue
		}
		if err := b.Delete([]byte(w.ID)); err != nil {
			return err
		}
		if k, _ := b.Cursor().First(); k == nil {
			if err := users.DeleteBucket(datasetKey(name)); err != nil {
				return err
			}
		}
	}
	refs := datasetRefs(doc)
	w.Datasets = w.Datasets[:0]
	for _, r := range refs {
		w.Datasets = append(w.Datasets, r.name)
		b, err := users.CreateBucketIfNotExists(datasetKey(r.name))
		if err != nil {
			return err
		}
		if err := put(b, []byte(w.ID), r.nodes); err != nil {
			return err
		}
	}
	if len(w.Datasets) == 0 {
		w.Datasets = nil
	}
	return nil
}

type datasetRef struct {
	name  string
	nodes []string
}

// datasetRefs finds the datasets a document's Import Data nodes read, one
// entry per name (ignoring case), in name order. A source bound to a
// workflow parameter ("$name") reads the parameter's default.
func datasetRefs(doc *workflow.Workflow) []datasetRef {
	if doc == nil {
		return nil
	}
	byKey := map[string]*datasetRef{}
	for _, n := range doc.Nodes {
		if n.Module != importModule {
			continue
		}
		name := stringParam(n.Params[sourceParam])
		if p, ok := strings.CutPrefix(name, "$"); ok {
			name = ""
			for _, wp := range doc.Parameters {
				if wp.Name == p {
					name = stringParam(wp.Default)
				}
			}
		}
		if name == "" {
			continue
		}
		key := strings.ToLower(name)
		if byKey[key] == nil {
			byKey[key] = &datasetRef{name: name}
		}
		byKey[key].nodes = append(byKey[key].nodes, n.ID)
	}
	refs := make([]datasetRef, 0, len(byKey))
	for _, r := range byKey {
		refs = append(refs, *r)
	}
	slices.SortFunc(refs, func(a, b datasetRef) int { return cmp.Compare(strings.ToLower(a.name), strings.ToLower(b.name)) })
	return refs
}

func stringParam(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}
