package parallel

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestModulesStartGoroutinesThroughAGroup keeps the rule of
// docs/CONTRIBUTING-MODULES.md: no module code starts a goroutine with a bare
// go statement or waits with a sync.WaitGroup, whose workers' panics would
// end the process instead of failing the node.
func TestModulesStartGoroutinesThroughAGroup(t *testing.T) {
	root := ".."
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			// This package is where the rule's one WaitGroup lives.
			if d.Name() == "testdata" || d.Name() == "parallel" {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.GoStmt:
				t.Errorf("%s: a bare go statement; start workers with parallel.Group", fset.Position(x.Pos()))
			case *ast.SelectorExpr:
				if id, ok := x.X.(*ast.Ident); ok && id.Name == "sync" && x.Sel.Name == "WaitGroup" {
					t.Errorf("%s: sync.WaitGroup; use parallel.Group", fset.Position(x.Pos()))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
