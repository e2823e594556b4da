package config

import (
	"fmt"
	"strings"
)

// Error is every problem found in one config file. All are reported at
// once so a user fixing the file by hand is not sent back for each one.
type Error struct {
	Name     string // the name given to Parse, usually the file path
	Problems []Problem
}

// Problem is one invalid value or syntax error.
type Problem struct {
	Line int    // 1-based; 0 when the problem has no single line
	Key  string // e.g. "model_list[0].litellm_params.model"; "" for syntax errors
	Msg  string
}

// Error formats each problem as "name:line: key: msg", one per line, the
// form editors and terminals turn into links.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.format(e.Name)
	}
	return strings.Join(lines, "\n")
}

func (p Problem) format(name string) string {
	var b strings.Builder
	b.WriteString(name)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// NotFoundError is returned by Route for a model name that no model_list
// entry serves. It lists the configured names because the usual cause is a
// client asking for a name the user has not mapped yet.
type NotFoundError struct {
	Model string
	Known []string // configured model_name values, in file order
}

// Error names the model and the configured names, for the client's error
// response and the log.
func (e *NotFoundError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("model %q is not configured: model_list is empty", e.Model)
	}
	return fmt.Sprintf("model %q is not configured; configured model_name values: %s",
		e.Model, strings.Join(e.Known, ", "))
}
