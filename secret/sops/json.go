package sops

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// node is a JSON value with its object keys in document order, since the MAC hashes the
// values in that order.
type node struct {
	obj    []member // object
	arr    []node   // array
	isObj  bool
	isArr  bool
	str    *string // string
	lit    string  // number, true, false, null as written
	isNull bool
}

type member struct {
	key string
	val node
}

type jsonDoc struct {
	root node // without "sops"
	sops *metadata
}

func parseJSON(data []byte) (*jsonDoc, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	root, err := readNode(dec)
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if !root.isObj {
		return nil, errors.New("not a JSON object")
	}
	doc := &jsonDoc{root: node{isObj: true}}
	for _, m := range root.obj {
		if m.key != "sops" {
			doc.root.obj = append(doc.root.obj, m)
			continue
		}
		raw, err := json.Marshal(m.val.plainValue())
		if err != nil {
			return nil, err
		}
		doc.sops = &metadata{}
		if err := json.Unmarshal(raw, doc.sops); err != nil {
			return nil, fmt.Errorf("its sops section is not valid: %w", err)
		}
	}
	if doc.sops == nil {
		return nil, errors.New("it has no sops section")
	}
	return doc, nil
}

func readNode(dec *json.Decoder) (node, error) {
	t, err := dec.Token()
	if err != nil {
		return node{}, err
	}
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := node{isObj: true}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return n, err
				}
				v, err := readNode(dec)
				if err != nil {
					return n, err
				}
				n.obj = append(n.obj, member{key: k.(string), val: v})
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := node{isArr: true}
			for dec.More() {
				v, err := readNode(dec)
				if err != nil {
					return n, err
				}
				n.arr = append(n.arr, v)
			}
			_, err := dec.Token()
			return n, err
		}
	case string:
		return node{str: &t}, nil
	case json.Number:
		return node{lit: t.String()}, nil
	case bool:
		if t {
			return node{lit: "True"}, nil // as SOPS hashes a bool
		}
		return node{lit: "False"}, nil
	case nil:
		return node{isNull: true}, nil
	}
	return node{}, fmt.Errorf("unexpected token %v", t)
}

// plainValue converts a node to plain Go values (for the metadata section only).
func (n node) plainValue() any {
	switch {
	case n.isObj:
		m := map[string]any{}
		for _, e := range n.obj {
			m[e.key] = e.val.plainValue()
		}
		return m
	case n.isArr:
		var a []any
		for _, e := range n.arr {
			a = append(a, e.plainValue())
		}
		return a
	case n.str != nil:
		return *n.str
	case n.isNull:
		return nil
	case n.lit == "True" || n.lit == "False":
		return n.lit == "True"
	}
	return json.Number(n.lit)
}

// leaves lists the document's values in order; array items keep their parent's path, as in
// SOPS.
func (d *jsonDoc) leaves() []leaf {
	var out []leaf
	var walk func(n node, path []string)
	walk = func(n node, path []string) {
		switch {
		case n.isObj:
			for _, m := range n.obj {
				walk(m.val, append(append([]string(nil), path...), m.key))
			}
		case n.isArr:
			for _, e := range n.arr {
				walk(e, path)
			}
		case n.str != nil:
			out = append(out, leaf{path: path, value: *n.str})
		case n.isNull:
			out = append(out, leaf{path: path, null: true})
		default:
			out = append(out, leaf{path: path, value: n.lit, plain: true})
		}
	}
	walk(d.root, nil)
	return out
}

// emit returns a binary file's bytes, or the document re-encoded with the values decrypted,
// indented with tabs as `sops decrypt` prints it.
func (d *jsonDoc) emit(values [][]byte) []byte {
	if len(d.root.obj) == 1 && d.root.obj[0].key == "data" && d.root.obj[0].val.str != nil {
		return values[0]
	}
	var b strings.Builder
	i := 0
	var write func(n node, indent string)
	write = func(n node, indent string) {
		switch {
		case n.isObj || n.isArr:
			open, end, count := "{", "}", len(n.obj)
			if n.isArr {
				open, end, count = "[", "]", len(n.arr)
			}
			b.WriteString(open)
			for j := 0; j < count; j++ {
				if j > 0 {
					b.WriteString(",")
				}
				b.WriteString("\n" + indent + "\t")
				if n.isObj {
					k, _ := json.Marshal(n.obj[j].key)
					b.Write(k)
					b.WriteString(": ")
					write(n.obj[j].val, indent+"\t")
				} else {
					write(n.arr[j], indent+"\t")
				}
			}
			if count > 0 {
				b.WriteString("\n" + indent)
			}
			b.WriteString(end)
		case n.isNull:
			b.WriteString("null")
			i++
		case n.str != nil && typed(*n.str):
			b.WriteString(strings.ToLower(string(values[i]))) // an encrypted number or bool
			i++
		case n.str != nil:
			s, _ := json.Marshal(string(values[i]))
			b.Write(s)
			i++
		default:
			b.WriteString(strings.ToLower(string(values[i])))
			i++
		}
	}
	write(d.root, "")
	b.WriteString("\n")
	return []byte(b.String())
}

// typed reports whether an encrypted value holds a number or a bool, not a string.
func typed(enc string) bool {
	m := encRule.FindStringSubmatch(enc)
	return m != nil && (m[4] == "int" || m[4] == "int64" || m[4] == "float" || m[4] == "bool")
}
