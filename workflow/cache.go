package workflow

import (
	"container/list"
	"sync"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/table"
)

// Cache keeps node results by cache key. A key covers the module and its
// version, the resolved parameters, the keys of every input and, for source
// modules, a fingerprint of the outside data, so a hit is always a result the
// node would compute again. Values are immutable and shared, never copied.
type Cache interface {
	Get(key string) (*CacheEntry, bool)
	Put(key string, e *CacheEntry)
}

// CacheEntry is a node's cached result.
type CacheEntry struct {
	Outputs []any
	State   modules.State
	Rows    int
}

// MemoryCache is an in-process LRU cache bounded by the estimated size of the
// tables it holds.
type MemoryCache struct {
	mu       sync.Mutex
	maxBytes int64
	bytes    int64
	order    *list.List // front: most recent
	items    map[string]*list.Element
}

type memItem struct {
	key   string
	entry *CacheEntry
	size  int64
}

// NewMemoryCache returns a cache holding at most about maxBytes of data.
func NewMemoryCache(maxBytes int64) *MemoryCache {
	return &MemoryCache{maxBytes: maxBytes, order: list.New(), items: map[string]*list.Element{}}
}

// Get implements Cache.
func (c *MemoryCache) Get(key string) (*CacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*memItem).entry, true
}

// Put implements Cache. An entry larger than the whole cache is not kept.
func (c *MemoryCache) Put(key string, e *CacheEntry) {
	size := entrySize(e)
	if size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.bytes -= el.Value.(*memItem).size
		c.order.Remove(el)
	}
	c.items[key] = c.order.PushFront(&memItem{key: key, entry: e, size: size})
	c.bytes += size
	for c.bytes > c.maxBytes {
		el := c.order.Back()
		it := el.Value.(*memItem)
		c.order.Remove(el)
		delete(c.items, it.key)
		c.bytes -= it.size
	}
}

// Len returns the number of entries.
func (c *MemoryCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

func entrySize(e *CacheEntry) int64 {
	n := int64(len(e.State)) + 64
	for _, o := range e.Outputs {
		if t, ok := o.(*table.Table); ok {
			n += TableSize(t)
		} else {
			n += 1024
		}
	}
	return n
}

// TableSize estimates the memory a table's columns hold, in bytes.
func TableSize(t *table.Table) int64 {
	var n int64
	for i := 0; i < t.NumCols(); i++ {
		switch c := t.Column(i).(type) {
		case *table.Strings:
			n += int64(c.Len()) * 16
			for _, s := range c.Data() {
				n += int64(len(s)) // shared (interned) strings are over-counted; that errs safe
			}
		case *table.Bools:
			n += int64(c.Len())
		default:
			n += int64(c.Len()) * 8
		}
	}
	return n
}
