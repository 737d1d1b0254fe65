package storage

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the store file (records only, no
// blobs) to w while the store stays in use, and returns the bytes written.
// The copy is a snapshot of one read transaction; writers go on meanwhile.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

// BackupFile writes Backup to path through a temporary file in the same
// directory, fsynced and then renamed, so path only ever holds a complete
// backup.
func (s *Store) BackupFile(path string) error {
	return writeFileAtomic(path, func(w io.Writer) error {
		_, err := s.Backup(w)
		return err
	})
}

// BackupArchive writes a tar archive of the whole store to w while it stays
// in use: trellis.db (a snapshot, as Backup) first, then every blob that
// snapshot references, as blobs/ab/abcdef…. RestoreArchive reads it back.
func (s *Store) BackupArchive(w io.Writer) error {
	// Blob removal waits for the copy, so every blob the snapshot names is
	// still there when its turn comes.
	s.gcMu.RLock()
	defer s.gcMu.RUnlock()
	tw := tar.NewWriter(w)
	now := time.Now().UTC().Truncate(time.Second)
	var hashes []string
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := tw.WriteHeader(&tar.Header{Name: dbName, Mode: 0o600, Size: tx.Size(), ModTime: now, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tx.WriteTo(tw); err != nil {
			return err
		}
		return tx.Bucket(bucketBlobs).ForEach(func(k, _ []byte) error {
			hashes = append(hashes, string(k))
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	for _, h := range hashes {
		if err := s.archiveBlob(tw, h); err != nil {
			return fmt.Errorf("backup: blob %s: %w", h, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

func (s *Store) archiveBlob(tw *tar.Writer, hash string) error {
	f, err := s.OpenBlob(hash)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Name: blobName(hash), Mode: 0o600, Size: fi.Size(), ModTime: fi.ModTime().UTC().Truncate(time.Second), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

// BackupArchiveFile writes BackupArchive to path through a temporary file
// in the same directory, fsynced and then renamed.
func (s *Store) BackupArchiveFile(path string) error {
	return writeFileAtomic(path, s.BackupArchive)
}

// RestoreArchive unpacks an archive written by BackupArchive into dir,
// which must be empty or not exist, and checks the result before it counts:
// the store file must pass the consistency check, and every blob must match
// its hash and be present where the records name it. On any failure dir is
// left empty. The store file is put in place last, so an interrupted restore
// never leaves a directory that looks like a store. Open the directory
// afterwards as usual.
func RestoreArchive(r io.Reader, dir string) (err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("restore: %s is not empty; restore into an empty directory", dir)
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("restore: %w", err)
			emptyDir(dir)
		}
	}()
	staged := filepath.Join(dir, dbName+".restore")
	seenDB := false
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeReg {
			return fmt.Errorf("archive entry %q: not a regular file", hdr.Name)
		}
		switch hash := path.Base(hdr.Name); {
		case hdr.Name == dbName && !seenDB:
			seenDB = true
			if _, err := writeFile(staged, tr, ""); err != nil {
				return err
			}
		case validHash(hash) && hdr.Name == blobName(hash):
			sub := filepath.Join(dir, blobsDir, hash[:2])
			if err := os.MkdirAll(sub, 0o700); err != nil {
				return err
			}
			if _, err := writeFile(filepath.Join(sub, hash), tr, hash); err != nil {
				return err
			}
		default:
			return fmt.Errorf("archive entry %q: not part of a Trellis store backup", hdr.Name)
		}
	}
	if !seenDB {
		return fmt.Errorf("the archive has no %s", dbName)
	}
	if err := verify(staged, DefaultTimeout); err != nil {
		return err
	}
	if err := checkRestored(staged, dir); err != nil {
		return err
	}
	if err := os.Rename(staged, filepath.Join(dir, dbName)); err != nil {
		return err
	}
	return syncTree(dir)
}

// checkRestored checks a restored store file's records against the restored
// blobs. A backup from an older schema is checked page by page only (by
// verify); Open migrates it and Check then covers the rest.
func checkRestored(dbPath, dir string) error {
	db, err := bolt.Open(dbPath, 0o600, &bolt.Options{ReadOnly: true, Timeout: DefaultTimeout})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		if schemaVersion(tx) < SchemaVersion() {
			return nil
		}
		return checkRecords(tx, dir)
	})
}

func blobName(hash string) string { return path.Join(blobsDir, hash[:2], hash) }

// writeFile copies r to a new file at path and fsyncs it. With wantHash set,
// the content must hash to it.
func writeFile(path string, r io.Reader, wantHash string) (int64, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && wantHash != "" && hex.EncodeToString(h.Sum(nil)) != wantHash {
		err = fmt.Errorf("blob %s: content does not match its hash", wantHash)
	}
	return n, err
}

// writeFileAtomic writes path through a temporary file beside it, fsynced
// and renamed, then fsyncs the directory, so path is never half-written.
func writeFileAtomic(path string, fn func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err = fn(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return syncDir(dir)
}

// syncTree fsyncs every directory under dir, making the restored names
// durable.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return syncDir(p)
	})
}

// emptyDir removes what a failed restore wrote; dir was empty before.
func emptyDir(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}
