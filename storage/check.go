package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

func (s *Store) checkRecords(tx *bolt.Tx) error { return checkRecords(tx, s.dir) }

// checkRecords checks what bbolt cannot: that every index agrees with the
// records it indexes, and that the blob reference counts match the dataset
// versions and the blob files are there with the recorded sizes.
func checkRecords(tx *bolt.Tx, dir string) error {
	var errs []error
	bad := func(format string, args ...any) {
		if len(errs) < 20 {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	// Decoding failures are reported through bad; the iteration goes on.
	_ = tx.Bucket(bucketUsersByName).ForEach(func(k, v []byte) error {
		u, err := getUser(tx, string(v))
		if err != nil || string(usernameKey(u.Username)) != string(k) {
			bad("users_by_name %q: points at %s which does not have that name (%v)", k, v, err)
		}
		return nil
	})
	_ = tx.Bucket(bucketUsers).ForEach(func(k, _ []byte) error {
		u, err := getUser(tx, string(k))
		if err != nil {
			bad("%v", err)
		} else if string(tx.Bucket(bucketUsersByName).Get(usernameKey(u.Username))) != u.ID {
			bad("user %s: username %q is not indexed", u.ID, u.Username)
		}
		return nil
	})
	_ = tx.Bucket(bucketTokensByHash).ForEach(func(k, v []byte) error {
		t, err := getToken(tx, string(v))
		if err != nil || t.Hash != string(k) || !t.Revoked.IsZero() {
			bad("tokens_by_hash: entry for token %s does not match an active token (%v)", v, err)
		}
		return nil
	})
	_ = tx.Bucket(bucketWorkflows).ForEachBucket(func(k []byte) error {
		b, w, err := workflowBucket(tx, string(k))
		if err == nil {
			_, err = getRevision(b, w.ID, w.Revision)
		}
		if err != nil {
			bad("%v", err)
		}
		return nil
	})
	_ = tx.Bucket(bucketDatasetsByName).ForEach(func(k, v []byte) error {
		_, d, err := datasetBucket(tx, string(v))
		if err != nil || string(datasetKey(d.Name)) != string(k) {
			bad("datasets_by_name %q: points at %s which does not have that name (%v)", k, v, err)
		}
		return nil
	})
	refs := map[string]int{}
	_ = tx.Bucket(bucketDatasets).ForEachBucket(func(k []byte) error {
		b, d, err := datasetBucket(tx, string(k))
		if err != nil {
			bad("%v", err)
			return nil
		}
		_ = b.Bucket(keyVersions).ForEach(func(vk, data []byte) error {
			var v DatasetVersion
			if err := decode(vk, data, &v); err != nil {
				bad("dataset %s: %v", d.ID, err)
				return nil
			}
			refs[v.Hash]++
			fi, err := os.Stat(filepath.Join(dir, blobsDir, v.Hash[:min(2, len(v.Hash))], v.Hash))
			switch {
			case err != nil:
				bad("dataset %s version %d: blob %s: %v", d.ID, v.Number, v.Hash, err)
			case fi.Size() != v.Size:
				bad("dataset %s version %d: blob %s has %d bytes, recorded %d", d.ID, v.Number, v.Hash, fi.Size(), v.Size)
			}
			return nil
		})
		return nil
	})
	_ = tx.Bucket(bucketBlobs).ForEach(func(k, v []byte) error {
		if n := btoi(v); n != refs[string(k)] {
			bad("blob %s: %d references recorded, %d dataset versions name it", k, n, refs[string(k)])
		}
		delete(refs, string(k))
		return nil
	})
	for h := range refs {
		bad("blob %s: named by dataset versions but has no reference count", h)
	}
	_ = tx.Bucket(bucketRunsActive).ForEach(func(k, _ []byte) error {
		_, r, err := getRun(tx, string(k), false)
		if err != nil || r.Status.Done() {
			bad("runs_active: run %s is not in progress (%v)", k, err)
		}
		return nil
	})
	return errors.Join(errs...)
}
