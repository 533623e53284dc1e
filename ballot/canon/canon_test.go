package canon

import (
	"errors"
	"testing"
)

type doc struct {
	A string `json:"a"`
	B []int  `json:"b"`
}

func TestUnmarshal(t *testing.T) {
	var d doc
	if err := Unmarshal([]byte(`{"a":"x","b":[1,2]}`), &d, 0); err != nil || d.A != "x" || len(d.B) != 2 {
		t.Fatalf("canonical rejected: %v %+v", err, d)
	}
	bad := map[string]string{
		"whitespace":    `{"a":"x", "b":[1,2]}`,
		"order":         `{"b":[1,2],"a":"x"}`,
		"unknown field": `{"a":"x","b":[1,2],"c":1}`,
		"duplicate":     `{"a":"x","a":"y","b":[1,2]}`,
		"trailing":      `{"a":"x","b":[1,2]}{}`,
		"trailing ws":   `{"a":"x","b":[1,2]} `,
		"number form":   `{"a":"x","b":[1.0,2]}`,
		"escape":        `{"a":"\u0078","b":[1,2]}`,
		"not json":      `{"a":`,
		"case of field": `{"A":"x","b":[1,2]}`,
	}
	for name, in := range bad {
		var d doc
		if err := Unmarshal([]byte(in), &d, 0); err == nil {
			t.Errorf("%s: accepted %s", name, in)
		}
	}
	if err := Unmarshal([]byte(`{"a":"x","b":[1,2]}`), &d, 5); !errors.Is(err, ErrTooLarge) {
		t.Errorf("size limit: %v", err)
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(`{"a":"x","b":[1,2]}`))
	f.Add([]byte(`{"a":"","b":null}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var d doc
		if err := Unmarshal(in, &d, 1<<16); err != nil {
			return
		}
		out, err := Marshal(&d)
		if err != nil || string(out) != string(in) {
			t.Fatalf("accepted %q, canonical %q", in, out)
		}
	})
}
