package parallel

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
)

func TestGroupRunsEverything(t *testing.T) {
	var g Group
	var n atomic.Int64
	for range 50 {
		g.Go(func() { n.Add(1) })
	}
	g.Wait()
	if n.Load() != 50 {
		t.Errorf("%d functions ran, want 50", n.Load())
	}
}

func TestGroupCarriesAPanicToWait(t *testing.T) {
	var g Group
	var done atomic.Int64
	errBoom := errors.New("boom")
	for i := range 8 {
		g.Go(func() {
			if i == 3 {
				panic(errBoom)
			}
			done.Add(1)
		})
	}
	defer func() {
		r := recover()
		p, ok := r.(*Panic)
		if !ok {
			t.Fatalf("Wait panicked with %T %v, want *Panic", r, r)
		}
		if !errors.Is(p, errBoom) || !strings.Contains(p.Error(), "boom (on a worker goroutine)") || !strings.Contains(p.Error(), "parallel_test.go") {
			t.Errorf("panic %q", p.Error())
		}
		if done.Load() != 7 {
			t.Errorf("%d other functions finished, want 7", done.Load())
		}
	}()
	g.Wait()
	t.Fatal("Wait returned")
}
