package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/storage"
)

// Resources returns the data sources of workflows run by this server: the
// stored datasets, named in an Import Data node's source as "name" (the
// latest version) or "name@version". Nothing else is reachable — not files
// on the server's disk, whatever the reference looks like — since anyone
// who can edit a workflow can write any source.
func (s *Server) Resources() modules.Resources { return datasetResources{store: s.store} }

// datasetResources serves dataset versions from the store.
type datasetResources struct {
	store *storage.Store
}

var _ modules.Resources = datasetResources{}

// Open implements modules.Resources.
func (r datasetResources) Open(ctx context.Context, ref string) (io.ReadCloser, modules.Source, error) {
	d, v, err := r.resolve(ctx, ref)
	if err != nil {
		return nil, modules.Source{}, err
	}
	f, err := r.store.OpenBlob(v.Hash)
	if err != nil {
		return nil, modules.Source{}, fmt.Errorf("dataset %s version %d: %w", d.Name, v.Number, err)
	}
	return f, source(d, v), nil
}

// Stat implements modules.Resources. The fingerprint is the version's
// content hash, so a workflow reading "name" reads again once a new version
// is uploaded, and not before.
func (r datasetResources) Stat(ctx context.Context, ref string) (modules.Source, error) {
	d, v, err := r.resolve(ctx, ref)
	if err != nil {
		return modules.Source{}, err
	}
	return source(d, v), nil
}

func source(d *storage.Dataset, v *storage.DatasetVersion) modules.Source {
	return modules.Source{
		Name:        fmt.Sprintf("%s@%d", d.Name, v.Number),
		Format:      v.Format,
		Size:        v.Size,
		Fingerprint: "sha256:" + v.Hash,
		Schema:      v.Schema,
	}
}

// resolve finds the dataset version a reference names. An unknown name is
// an error that lists some of the names there are, since the likely cause
// is a typo.
func (r datasetResources) resolve(ctx context.Context, ref string) (*storage.Dataset, *storage.DatasetVersion, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	name, number := splitRef(ref)
	if strings.TrimSpace(name) == "" {
		return nil, nil, errors.New("no dataset named: the data source is empty")
	}
	d, err := r.store.DatasetByName(name)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, r.unknown(name)
	}
	if err != nil {
		return nil, nil, err
	}
	if number == 0 {
		return d, &d.Latest, nil
	}
	v, err := r.store.DatasetVersion(d.ID, number)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil, fmt.Errorf("dataset %q has no version %d (the latest is %d): %w", d.Name, number, d.Latest.Number, storage.ErrNotFound)
	}
	return d, v, err
}

// maxNamesShown bounds the dataset names an unknown-dataset error lists.
const maxNamesShown = 8

func (r datasetResources) unknown(name string) error {
	ds, err := r.store.Datasets()
	if err != nil || len(ds) == 0 {
		return fmt.Errorf("no dataset is named %q; upload it first (there are no datasets yet): %w", name, storage.ErrNotFound)
	}
	names := make([]string, 0, maxNamesShown)
	for _, d := range ds[:min(len(ds), maxNamesShown)] {
		names = append(names, strconv.Quote(d.Name))
	}
	more := ""
	if len(ds) > maxNamesShown {
		more = fmt.Sprintf(", … (%d more)", len(ds)-maxNamesShown)
	}
	return fmt.Errorf("no dataset is named %q (datasets: %s%s): %w", name, strings.Join(names, ", "), more, storage.ErrNotFound)
}

// splitRef splits "name@3" into the name and version 3. A reference without
// a version, or whose text after the last @ is not a positive number, is a
// whole name with version 0 (the latest); new names cannot hold @ anyway.
func splitRef(ref string) (string, int) {
	i := strings.LastIndexByte(ref, '@')
	if i < 0 {
		return ref, 0
	}
	n, err := strconv.Atoi(ref[i+1:])
	if err != nil || n < 1 || ref[i+1] == '+' {
		return ref, 0
	}
	return ref[:i], n
}
