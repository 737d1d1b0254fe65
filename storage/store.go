package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// The errors callers branch on. Methods wrap them with the id at fault, as in
// "workflow 0190…: not found"; test with errors.Is.
var (
	// ErrNotFound: no record has the id, name or secret.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the change was made against stale data (a workflow saved
	// on an old revision) or would break an invariant (no admin left).
	ErrConflict = errors.New("conflict")
	// ErrExists: a unique name (username, dataset name) is taken.
	ErrExists = errors.New("already exists")
	// ErrInUse: the record is still referenced (a dataset read by a
	// workflow, a workflow with a run in progress).
	ErrInUse = errors.New("in use")
	// ErrLocked: another process has the store open.
	ErrLocked = errors.New("store is locked by another process")
	// ErrCorrupt: the store file failed its consistency check at start-up.
	// The file is left exactly as it was found.
	ErrCorrupt = errors.New("store file is corrupted")
	// ErrNewerSchema: the store was written by a newer Trellis.
	ErrNewerSchema = errors.New("store was written by a newer version of Trellis")
)

// DefaultTimeout is how long Open waits for another process to release the
// store before giving up with ErrLocked.
const DefaultTimeout = 5 * time.Second

const (
	dbName   = "trellis.db"
	blobsDir = "blobs"
)

// Options tune Open.
type Options struct {
	// Timeout bounds the wait for the store's file lock (default
	// DefaultTimeout).
	Timeout time.Duration
	// Logger hears about recovery done at start-up (interrupted runs,
	// leftover files); nil discards.
	Logger *slog.Logger
}

// Store is Trellis's persistent state: one bbolt file for records and a
// directory of content-addressed blobs beside it. It is safe for concurrent
// use. Each use case is one transaction; a method that changes something has
// committed and fsynced the change when it returns nil.
type Store struct {
	db  *bolt.DB
	dir string
	log *slog.Logger

	// pending counts, per blob, the PutBlob calls not yet followed by a
	// dataset version recording the blob (or DiscardBlob), so that garbage
	// collection running in between does not remove it. Also held while a
	// version is recorded.
	pendingMu sync.Mutex
	pending   map[string]int

	// gcMu keeps blob removal out while an archive backup copies blobs:
	// backups hold it shared, removal holds it exclusively (and skips a
	// round rather than wait).
	gcMu sync.RWMutex
}

// Open opens (creating if needed) the store in dir: dir/trellis.db and
// dir/blobs/. It waits up to opts.Timeout for another process holding the
// store and then fails with ErrLocked. An existing store file is first opened
// read-only and checked; if it is damaged Open fails with ErrCorrupt and
// leaves the file untouched. A store from a newer Trellis fails with
// ErrNewerSchema. Open then migrates an older schema, marks runs left
// running by a crash as failed and removes leftover temporary and
// unreferenced blob files.
func Open(dir string, opts Options) (*Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	deadline := time.Now().Add(opts.Timeout)
	remaining := func() time.Duration { return max(time.Until(deadline), time.Millisecond) }

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	path := filepath.Join(dir, dbName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := create(dir, path, remaining()); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	if err := verify(path, remaining()); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: remaining()})
	if err != nil {
		return nil, openError(path, err)
	}
	s := &Store{db: db, dir: dir, log: opts.Logger, pending: map[string]int{}}
	if err := s.start(); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// start brings an opened store to a state where the server can use it with
// no manual recovery.
func (s *Store) start() error {
	if err := migrate(s.db, s.log); err != nil {
		return err
	}
	if err := s.db.View(checkBuckets); err != nil {
		return err
	}
	n, err := s.failInterruptedRuns()
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Warn("marked runs interrupted by a restart as failed", "runs", n)
	}
	return s.sweepFiles()
}

// create makes a new, fully migrated store file under a temporary name and
// links it into place, so a trellis.db that exists was always finished. That
// is what lets Open refuse every damaged trellis.db, an empty one included,
// instead of guessing which were merely half-created.
func create(dir, path string, timeout time.Duration) error {
	f, err := os.CreateTemp(dir, dbName+".new-*")
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	tmp := f.Name()
	_ = f.Close()
	defer os.Remove(tmp)
	db, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		return fmt.Errorf("storage: create %s: %w", tmp, err)
	}
	err = migrate(db, slog.New(slog.DiscardHandler))
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("storage: create %s: %w", path, err)
	}
	// Link, unlike rename, never replaces: if another process created the
	// store meanwhile, its file wins and this one is discarded.
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("storage: %w", err)
	}
	return syncDir(dir)
}

// verify opens the store file read-only and checks it, so a damaged file is
// refused before anything could write to it (opening read-write may commit).
//
// A damaged file can point bbolt outside the file; reading such memory faults.
// SetPanicOnFault turns those faults on this goroutine into panics that are
// reported as corruption, which is why every page is touched here, by walking
// every bucket, before bbolt's own checker (which runs on a goroutine of its
// own) reads them again.
func verify(path string, timeout time.Duration) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = corrupt(path, fmt.Errorf("reading it failed: %v", r))
		}
	}()
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if fi.Size() == 0 {
		return corrupt(path, errors.New("the file is empty"))
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout, PreLoadFreelist: true})
	if err != nil {
		// bbolt reports some damage as plain strings ("file size too
		// small"); what the OS says (permissions, memory) is not damage.
		var pathErr *fs.PathError
		var errno syscall.Errno
		if errors.Is(err, berrors.ErrTimeout) || errors.As(err, &pathErr) || errors.As(err, &errno) {
			return openError(path, err)
		}
		return corrupt(path, err)
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		if tx.Size() > fi.Size() {
			return corrupt(path, fmt.Errorf("the file has %d bytes but its pages need %d (truncated?)", fi.Size(), tx.Size()))
		}
		_ = tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			touch(b)
			return nil
		})
		if err := checkTx(tx); err != nil {
			return corrupt(path, err)
		}
		return checkVersion(tx)
	})
}

// touch reads every page of a bucket and its sub-buckets (see verify).
func touch(b *bolt.Bucket) {
	_ = b.ForEach(func(k, v []byte) error {
		if v == nil {
			if c := b.Bucket(k); c != nil {
				touch(c)
			}
			return nil
		}
		if len(v) > 0 {
			_ = v[len(v)-1]
		}
		return nil
	})
}

// checkTx runs bbolt's consistency check, keeping the first few problems.
func checkTx(tx *bolt.Tx) error {
	const keep = 10
	var errs []error
	n := 0
	for err := range tx.Check() { // drain: the checker blocks until read
		if n++; n <= keep {
			errs = append(errs, err)
		}
	}
	if n > keep {
		errs = append(errs, fmt.Errorf("and %d more problems", n-keep))
	}
	return errors.Join(errs...)
}

func openError(path string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("storage: %s: %w", path, ErrLocked)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
		return corrupt(path, err)
	}
	return fmt.Errorf("storage: open %s: %w", path, err)
}

func corrupt(path string, cause error) error {
	msg := strings.ReplaceAll(cause.Error(), "\n", "; ")
	return fmt.Errorf("storage: %s: %s; it was left untouched: restore a backup into an empty directory (trellis restore) or move the file aside: %w", path, msg, ErrCorrupt)
}

// Close closes the store. Nothing acknowledged is lost by not calling it
// (every change is fsynced at commit), but Close releases the file lock.
func (s *Store) Close() error {
	return s.db.Close()
}

// Dir returns the directory the store lives in.
func (s *Store) Dir() string { return s.dir }

// Check verifies the store: bbolt's page-level consistency check, then that
// the indexes agree with their records and that every blob a dataset version
// names is present with the recorded size. It reads a consistent snapshot and
// may run while the store is in use.
func (s *Store) Check() error {
	return s.db.View(func(tx *bolt.Tx) error {
		if err := checkTx(tx); err != nil {
			return err
		}
		return s.checkRecords(tx)
	})
}

// syncDir makes a directory entry (a created or renamed file) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
