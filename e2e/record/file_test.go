package record

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/bulletin"
)

func sampleFile(t testing.TB) []byte {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Header{Election: "e1", BoardKey: "b+00000000+AAAA"})
	if err != nil {
		t.Fatal(err)
	}
	var prev bulletin.Hash
	for i := uint64(0); i < 3; i++ {
		e := &bulletin.Entry{Index: i, Type: "ballot", Time: int64(1000 + i), Prev: prev, Payload: []byte("{}")}
		e.Hash = e.ComputeHash("e1")
		prev = e.Hash
		if err := w.Entry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Checkpoint([]byte("b/election/e1\n3\nAAAA\n\n— b sig\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFileRoundTrip(t *testing.T) {
	data := sampleFile(t)
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if r.Header().Election != "e1" {
		t.Fatalf("header %+v", r.Header())
	}
	var entries, cps int
	for {
		it, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if it.Entry != nil {
			entries++
		} else {
			cps++
		}
	}
	if entries != 3 || cps != 1 {
		t.Fatalf("read %d entries, %d checkpoints", entries, cps)
	}
}

func TestFileRejects(t *testing.T) {
	data := sampleFile(t)
	cases := map[string][]byte{
		"truncated mid-line": data[:len(data)-5],
		"empty":              nil,
		"bad header":         append([]byte(`{"version":"x","election":"e1","board_key":""}`+"\n"), data[bytes.IndexByte(data, '\n')+1:]...),
		"flipped hash byte":  bytes.Replace(data, []byte(`"type":"ballot","time":1001`), []byte(`"type":"ballot","time":1002`), 1),
		"both fields":        append(append([]byte{}, data...), []byte(`{"entry":null,"checkpoint":""}`+"\n")...),
	}
	for name, in := range cases {
		err := readAll(in)
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func readAll(data []byte) error {
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		return err
	}
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add(sampleFile(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		readAll(data)
	})
}

// TestFileRefusesVersion1: a record of the format before trustee
// signatures named their election is refused with a message that says so.
func TestFileRefusesVersion1(t *testing.T) {
	_, err := NewReader(strings.NewReader(`{"version":"tabella-record/v1","election":"e","board_key":"x"}` + "\n"))
	require.ErrorIs(t, err, ErrFormat)
	require.ErrorContains(t, err, "made before trustee signatures named their election")
}
