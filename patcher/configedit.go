package patcher

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tailscale/hujson"
)

// This file holds the in-place edits of a JSON-with-comments document
// that the config route needs: find an object, add or remove a member
// laid out like its siblings.

func objectAt(v *hujson.Value, ptr string) (*hujson.Object, error) {
	f := v.Find(ptr)
	if f == nil {
		return nil, fmt.Errorf("%s: not found", ptr)
	}
	obj, ok := f.Value.(*hujson.Object)
	if !ok {
		name := strings.TrimPrefix(strings.ReplaceAll(ptr, "/", "."), ".")
		return nil, fmt.Errorf("%s is not an object; fix it by hand", name)
	}
	return obj, nil
}

func member(obj *hujson.Object, name string) *hujson.ObjectMember {
	for i := range obj.Members {
		if lit, ok := obj.Members[i].Name.Value.(hujson.Literal); ok && lit.String() == name {
			return &obj.Members[i]
		}
	}
	return nil
}

// addMember appends name: value to the object at ptr through hujson's
// patch (which keeps comments with the members they belong to) and lays it
// out like its siblings: on its own line, indented one unit deeper than
// the object, its value indented to match.
func addMember(doc *hujson.Value, ptr, name string, value any, unit string) error {
	obj, err := objectAt(doc, ptr)
	if err != nil {
		return err
	}
	depth := strings.Count(ptr, "/")
	indent := strings.Repeat(unit, depth+1)
	if n := len(obj.Members); n > 0 {
		if be := obj.Members[n-1].Name.BeforeExtra; bytes.IndexByte(be, '\n') >= 0 {
			indent = string(be[bytes.LastIndexByte(be, '\n')+1:])
		}
	}
	trailingComma := len(obj.Members) > 0 && obj.Members[len(obj.Members)-1].Value.AfterExtra != nil
	rendered, err := json.MarshalIndent(value, indent, unit)
	if err != nil {
		return err
	}
	op, _ := json.Marshal(ptr + "/" + name)
	patch := fmt.Sprintf(`[{"op": "add", "path": %s, "value": %s}]`, op, rendered)
	if err := doc.Patch([]byte(patch)); err != nil {
		return err
	}
	obj, err = objectAt(doc, ptr)
	if err != nil {
		return err
	}
	m := member(obj, name)
	if m == nil {
		return fmt.Errorf("%s/%s: not added", ptr, name)
	}
	be := m.Name.BeforeExtra
	if i := bytes.LastIndexByte(be, '\n'); i >= 0 {
		be = be[:i+1]
	} else {
		be = append(be, '\n')
	}
	m.Name.BeforeExtra = append(be, indent...)
	m.Name.AfterExtra = nil
	m.Value.BeforeExtra = []byte(" ")
	if trailingComma && m == &obj.Members[len(obj.Members)-1] {
		m.Value.AfterExtra = []byte{}
	}
	if ae := obj.AfterExtra; len(bytes.TrimSpace(ae)) == 0 && bytes.IndexByte(ae, '\n') < 0 {
		obj.AfterExtra = []byte("\n" + strings.Repeat(unit, depth))
	}
	return nil
}

// removeMember removes name from the object at ptr through hujson's patch
// and puts back the layout around it: the closing brace's indentation and
// a trailing comma style.
func removeMember(doc *hujson.Value, ptr, name string) error {
	obj, err := objectAt(doc, ptr)
	if err != nil {
		return err
	}
	last := member(obj, name) == &obj.Members[len(obj.Members)-1]
	trailingComma := obj.Members[len(obj.Members)-1].Value.AfterExtra != nil
	closing := obj.AfterExtra
	if i := bytes.LastIndexByte(closing, '\n'); i >= 0 {
		closing = closing[i+1:]
	} else {
		closing = nil
	}
	op, _ := json.Marshal(ptr + "/" + name)
	if err := doc.Patch([]byte(fmt.Sprintf(`[{"op": "remove", "path": %s}]`, op))); err != nil {
		return err
	}
	if obj, err = objectAt(doc, ptr); err != nil {
		return err
	}
	switch ae := obj.AfterExtra; {
	case len(obj.Members) == 0 && len(bytes.TrimSpace(ae)) == 0:
		obj.AfterExtra = nil // an empty object reads {}
	case closing != nil:
		if i := bytes.LastIndexByte(ae, '\n'); i >= 0 {
			obj.AfterExtra = append(ae[:i+1:i+1], closing...)
		}
	}
	if n := len(obj.Members); last && trailingComma && n > 0 && obj.Members[n-1].Value.AfterExtra == nil {
		obj.Members[n-1].Value.AfterExtra = []byte{}
	}
	return nil
}

// indentUnit guesses the document's indentation step from the root
// object's first member on its own line; two spaces otherwise, as
// OpenClaw writes.
func indentUnit(v *hujson.Value) string {
	if obj, ok := v.Value.(*hujson.Object); ok {
		for _, m := range obj.Members {
			be := m.Name.BeforeExtra
			if i := bytes.LastIndexByte(be, '\n'); i >= 0 && i+1 < len(be) {
				if u := string(be[i+1:]); strings.Trim(u, " \t") == "" {
					return u
				}
			}
		}
	}
	return "  "
}
