package modules

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the reference documentation of the specs, grouped by
// category. docs/modules.md is generated with it and checked by a test, so
// the docs cannot drift from the code.
func WriteMarkdown(w io.Writer, groups []CategoryGroup) error {
	var b strings.Builder
	b.WriteString("# Module reference\n\nGenerated from the module specs (`go test ./modules/builtin -update`); do not edit.\n")
	for _, g := range groups {
		fmt.Fprintf(&b, "\n## %s\n", g.Category)
		for _, s := range g.Specs {
			fmt.Fprintf(&b, "\n### %s\n\n`%s`%s — %s\n\n%s\n", s.Name, s.Ref(), statefulNote(s), s.Summary, s.Help)
			writePorts(&b, "Inputs", s.Inputs)
			writePorts(&b, "Outputs", s.Outputs)
			if len(s.Params) > 0 {
				b.WriteString("\n| parameter | type | default | description |\n|---|---|---|---|\n")
				for _, p := range s.Params {
					fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", p.Name, paramTypeDoc(p), defaultDoc(p), cell(p.Help+choicesDoc(p)))
				}
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func statefulNote(s Spec) string {
	if s.Stateful {
		return " (stateful: fitted state is recorded and reused when published)"
	}
	return ""
}

func writePorts(b *strings.Builder, title string, ports []Port) {
	if len(ports) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s: ", title)
	for i, p := range ports {
		if i > 0 {
			b.WriteString(", ")
		}
		opt := ""
		if p.Optional {
			opt = ", optional"
		}
		fmt.Fprintf(b, "`%s` (%s%s)", p.Name, p.Kind, opt)
	}
	b.WriteString("\n")
}

func paramTypeDoc(p Param) string {
	t := string(p.Type)
	if p.Min != nil || p.Max != nil {
		lo, hi := "…", "…"
		if p.Min != nil {
			lo = fmt.Sprint(*p.Min)
		}
		if p.Max != nil {
			hi = fmt.Sprint(*p.Max)
		}
		t += fmt.Sprintf(" [%s, %s]", lo, hi)
	}
	if p.Required {
		t += ", required"
	}
	return t
}

func defaultDoc(p Param) string {
	if p.Default == nil {
		return ""
	}
	return cell(fmt.Sprintf("`%v`", p.Default))
}

func choicesDoc(p Param) string {
	if len(p.Choices) == 0 {
		return ""
	}
	vals := make([]string, len(p.Choices))
	for i, c := range p.Choices {
		vals[i] = "`" + c.Value + "`"
	}
	return " One of " + strings.Join(vals, ", ") + "."
}

func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
