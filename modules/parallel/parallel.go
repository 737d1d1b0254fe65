// Package parallel runs a module's work on several goroutines without
// letting a panic in one of them kill the process.
//
// The workflow engine recovers a module that panics and fails its node; but
// a recover only sees its own goroutine, and a panic on a goroutine a module
// started would end the whole server. A Group carries such a panic back to
// the goroutine that waits for it.
package parallel

import (
	"fmt"
	"runtime/debug"
	"sync"
)

// Group is a sync.WaitGroup for functions started with Go. Its zero value is
// ready to use; it must not be copied after first use.
type Group struct {
	wg    sync.WaitGroup
	mu    sync.Mutex
	first *Panic
}

// Panic is what Wait panics with when a function panicked: the first
// panic's value and the stack of the goroutine it happened on.
type Panic struct {
	Value any
	Stack []byte
}

func (p *Panic) Error() string {
	return fmt.Sprintf("%v (on a worker goroutine)\n\n%s", p.Value, p.Stack)
}

// Unwrap returns the panic's value when it is an error.
func (p *Panic) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// Go runs f on a new goroutine. A panic in f ends that goroutine only; Wait
// reports it.
func (g *Group) Go(f func()) {
	g.wg.Go(func() {
		defer func() {
			if r := recover(); r != nil {
				g.mu.Lock()
				if g.first == nil {
					g.first = &Panic{Value: r, Stack: debug.Stack()}
				}
				g.mu.Unlock()
			}
		}()
		f()
	})
}

// Wait waits for every function started with Go, then, if one of them
// panicked, panics with a *Panic holding the first panic on the calling
// goroutine.
func (g *Group) Wait() {
	g.wg.Wait()
	g.mu.Lock()
	p := g.first
	g.mu.Unlock()
	if p != nil {
		panic(p)
	}
}
