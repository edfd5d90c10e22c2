package connect

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Free-form JSON values in State. The store holds decoded JSON as Go
// values, and the Go type of a number is part of its behaviour: the proxy
// prints a credential with fmt, which writes float64(1234567) as
// 1.234567e+06 but json.Number("1234567") as 1234567. JSON alone cannot
// tell the two apart, so each record lists the numbers to bring back as
// json.Number (exact_numbers, JSON Pointers into the record); every other
// number comes back as float64, which prints exactly as it was exported
// (encoding/json writes the shortest text that parses back to the same
// float64).

var numberType = reflect.TypeFor[json.Number]()

// valueWriter exports one record's free-form values, noting the numbers
// that are not float64.
type valueWriter struct{ exact []string }

// value returns v as JSON, nil for a nil value (left out of the record).
// ptr is where the value sits in the record, as a JSON Pointer. A value
// JSON cannot hold (a NaN, a channel) becomes null: the store only holds
// decoded JSON, so this does not happen through the API.
func (w *valueWriter) value(ptr string, v any) json.RawMessage {
	rv := reflect.ValueOf(v)
	if isNilValue(rv) {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	w.collect(ptr, rv)
	return b
}

func isNilValue(rv reflect.Value) bool {
	if !rv.IsValid() {
		return true
	}
	switch rv.Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// collect notes the numbers under rv that are not float64.
func (w *valueWriter) collect(ptr string, rv reflect.Value) {
	switch rv.Kind() {
	case reflect.Interface, reflect.Pointer:
		if !rv.IsNil() {
			w.collect(ptr, rv.Elem())
		}
	case reflect.Map:
		iter := rv.MapRange()
		for iter.Next() {
			w.collect(ptr+"/"+pointerToken(mapKeyString(iter.Key())), iter.Value())
		}
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return // []byte is a base64 string in JSON
		}
		fallthrough
	case reflect.Array:
		for i := range rv.Len() {
			w.collect(ptr+"/"+strconv.Itoa(i), rv.Index(i))
		}
	case reflect.String:
		if rv.Type() == numberType {
			w.exact = append(w.exact, ptr)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32:
		w.exact = append(w.exact, ptr)
	}
}

// mapKeyString is a map key as encoding/json writes it.
func mapKeyString(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return k.String()
	}
	if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
		if b, err := tm.MarshalText(); err == nil {
			return string(b)
		}
	}
	return fmt.Sprint(k.Interface())
}

// props exports a prop list; nil stays nil.
func (w *valueWriter) props(ptr string, props []Prop) []StateProp {
	if props == nil {
		return nil
	}
	out := make([]StateProp, len(props))
	for i, p := range props {
		at := ptr + "/" + strconv.Itoa(i)
		out[i] = StateProp{Name: p.Name, Type: p.Type, App: p.App, Label: p.Label, Description: p.Description,
			Optional: p.Optional, Disabled: p.Disabled, ReadOnly: p.ReadOnly, Hidden: p.Hidden,
			RemoteOptions: p.RemoteOptions, UseQuery: p.UseQuery, ReloadProps: p.ReloadProps, WithLabel: p.WithLabel,
			Secret: p.Secret, Format: p.Format, Min: clonePtr(p.Min), Max: clonePtr(p.Max),
			Default: w.value(at+"/default", p.Default), Options: w.value(at+"/options", p.Options),
			Static: w.value(at+"/static", p.Static), Content: p.Content, AlertType: p.AlertType,
			CustomResponse: p.CustomResponse}
	}
	return out
}

// exactNumbers returns the noted paths, sorted; nil when there are none.
func (w *valueWriter) exactNumbers() []string {
	if len(w.exact) == 0 {
		return nil
	}
	slices.Sort(w.exact)
	return w.exact
}

// valueReader imports one record's free-form values: at is the record's
// path in State, for messages.
type valueReader struct {
	at    string
	exact []string
	// pending holds the exact paths no number has claimed yet.
	pending map[string]bool
}

func newValueReader(at string, exact []string) (*valueReader, error) {
	r := &valueReader{at: at, exact: exact, pending: make(map[string]bool, len(exact))}
	for i, p := range exact {
		if !strings.HasPrefix(p, "/") || r.pending[p] {
			return nil, stateErr(at+".exact_numbers["+strconv.Itoa(i)+"]", "must be a JSON Pointer into the record (/…), each listed once")
		}
		r.pending[p] = true
	}
	return r, nil
}

// value decodes raw, found at JSON Pointer ptr of the record and at path
// at of State; empty raw is a nil value.
func (r *valueReader) value(ptr, at string, raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, stateErr(at, "must be JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, stateErr(at, "must be one JSON value")
	}
	return r.numbers(ptr, at, v)
}

// numbers turns each json.Number under v into a float64, unless the record
// lists it as exact. Object keys are visited in order so that the first
// bad number reported is always the same one.
func (r *valueReader) numbers(ptr, at string, v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			e, err := r.numbers(ptr+"/"+pointerToken(k), at+"."+k, x[k])
			if err != nil {
				return nil, err
			}
			x[k] = e
		}
	case []any:
		for i, e := range x {
			e, err := r.numbers(ptr+"/"+strconv.Itoa(i), at+"["+strconv.Itoa(i)+"]", e)
			if err != nil {
				return nil, err
			}
			x[i] = e
		}
	case json.Number:
		if r.pending[ptr] {
			delete(r.pending, ptr)
			return x, nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, stateErr(at, "number %s is beyond float64's range; list it in exact_numbers to keep it as written", x)
		}
		return f, nil
	}
	return v, nil
}

// object decodes a value that must be a JSON object (or absent: nil).
func (r *valueReader) object(ptr, at string, raw json.RawMessage) (map[string]any, error) {
	v, err := r.value(ptr, at, raw)
	if err != nil || v == nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, stateErr(at, "must be a JSON object")
	}
	return m, nil
}

// array decodes a value that must be a JSON array (or absent: nil).
func (r *valueReader) array(ptr, at string, raw json.RawMessage) ([]any, error) {
	v, err := r.value(ptr, at, raw)
	if err != nil || v == nil {
		return nil, err
	}
	a, ok := v.([]any)
	if !ok {
		return nil, stateErr(at, "must be a JSON array")
	}
	return a, nil
}

// props imports a prop list; nil stays nil.
func (r *valueReader) props(ptr, at string, in []StateProp) ([]Prop, error) {
	if in == nil {
		return nil, nil
	}
	out := make([]Prop, len(in))
	for i, p := range in {
		pp, pa := ptr+"/"+strconv.Itoa(i), at+"["+strconv.Itoa(i)+"]"
		def, err := r.value(pp+"/default", pa+".default", p.Default)
		if err != nil {
			return nil, err
		}
		opts, err := r.array(pp+"/options", pa+".options", p.Options)
		if err != nil {
			return nil, err
		}
		static, err := r.value(pp+"/static", pa+".static", p.Static)
		if err != nil {
			return nil, err
		}
		out[i] = Prop{Name: p.Name, Type: p.Type, App: p.App, Label: p.Label, Description: p.Description,
			Optional: p.Optional, Disabled: p.Disabled, ReadOnly: p.ReadOnly, Hidden: p.Hidden,
			RemoteOptions: p.RemoteOptions, UseQuery: p.UseQuery, ReloadProps: p.ReloadProps, WithLabel: p.WithLabel,
			Secret: p.Secret, Format: p.Format, Min: clonePtr(p.Min), Max: clonePtr(p.Max), Default: def,
			Options: opts, Static: static, Content: p.Content, AlertType: p.AlertType, CustomResponse: p.CustomResponse}
	}
	return out, nil
}

// done reports an exact path that named no number of the record.
func (r *valueReader) done() error {
	for i, p := range r.exact {
		if r.pending[p] {
			return stateErr(r.at+".exact_numbers["+strconv.Itoa(i)+"]", "%q names no number of the record", p)
		}
	}
	return nil
}
