package bulletin

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/ballot/canon"
)

// strictEntry is the general strict decoder alone.
func strictEntry(data []byte) (*Entry, error) {
	var e Entry
	if err := canon.Unmarshal(data, &e, MaxEntryJSON); err != nil {
		return nil, err
	}
	return &e, nil
}

func requireSameEntry(t *testing.T, want, got *Entry) {
	t.Helper()
	require.Equal(t, want.Index, got.Index)
	require.Equal(t, want.Type, got.Type)
	require.Equal(t, want.Time, got.Time)
	require.Equal(t, want.Prev, got.Prev)
	require.True(t, bytes.Equal(want.Payload, got.Payload), "payload")
	require.True(t, bytes.Equal(want.Signer, got.Signer), "signer")
	require.True(t, bytes.Equal(want.Signature, got.Signature), "signature")
	require.Equal(t, want.Hash, got.Hash)
}

// TestDecodeEntryJSONFastPath: every canonical entry a board writes takes
// the fast path, with the strict decoder's value.
func TestDecodeEntryJSONFastPath(t *testing.T) {
	for _, e := range []*Entry{
		testEntry(0, Hash{}),
		testEntry(3, Hash{1}),
		{Index: 18446744073709551615, Type: "a.b_c-9", Time: 9223372036854775807, Payload: Bytes{}, Signer: Bytes{}, Signature: Bytes{}},
		{Index: 7, Type: "ballot", Time: 0, Payload: bytes.Repeat([]byte{0xab, 0x00, 0xff}, 999), Signer: Bytes{3, 1, 2}, Signature: Bytes{9}},
	} {
		data := MarshalEntry(e)
		fast, ok := parseCanonicalEntry(data)
		require.True(t, ok, "canonical entry not on the fast path: %s", data)
		strict, err := strictEntry(data)
		require.NoError(t, err)
		requireSameEntry(t, strict, fast)
		// Appending to one byte string never writes into the next.
		_ = append(fast.Payload, 0xee)
		requireSameEntry(t, strict, fast)
	}
}

// TestDecodeEntryJSONSlowPath: near misses of the canonical layout are
// left to the strict decoder, which decides.
func TestDecodeEntryJSONSlowPath(t *testing.T) {
	good := string(MarshalEntry(testEntry(3, Hash{1})))
	for name, data := range map[string]string{
		"uppercase hex":  replaceOnce(good, `"payload":"`, `"payload":"A`),
		"odd hex":        replaceOnce(good, `"signer":"`, `"signer":"a`),
		"leading zero":   replaceOnce(good, `"index":3`, `"index":03`),
		"negative time":  replaceOnce(good, `"time":`, `"time":-`),
		"space":          replaceOnce(good, `,"type"`, `, "type"`),
		"escape in type": replaceOnce(good, `"type":"`, `"type":"\u0061`),
		"trailing":       good + " ",
		"short hash":     replaceOnce(good, `"hash":"`, `"hash":"00`),
		"overflow":       replaceOnce(good, `"index":3`, `"index":18446744073709551616`),
		"unknown field":  replaceOnce(good, `}`, `,"x":1}`),
	} {
		_, ok := parseCanonicalEntry([]byte(data))
		require.False(t, ok, "%s: taken by the fast path: %s", name, data)
		_, err := strictEntry([]byte(data))
		_, derr := DecodeEntryJSON([]byte(data))
		require.Equal(t, err == nil, derr == nil, "%s: DecodeEntryJSON and the strict decoder disagree", name)
	}
}

func replaceOnce(s, old, new string) string {
	return string(bytes.Replace([]byte(s), []byte(old), []byte(new), 1))
}

// FuzzEntryJSON checks the fast path against the strict decoder: what it
// accepts, the strict decoder accepts with the same value; what the strict
// decoder accepts with a well-formed type and time, it accepts too.
func FuzzEntryJSON(f *testing.F) {
	f.Add(MarshalEntry(testEntry(0, Hash{})))
	f.Add(MarshalEntry(testEntry(3, Hash{1})))
	f.Add(MarshalEntry(&Entry{Index: 10, Type: "x", Time: 1, Payload: Bytes{0}, Signer: Bytes{}, Signature: Bytes{1, 2}}))
	f.Add([]byte(`{"index":0,"type":"","time":0,"prev":"","payload":"","signer":"","signature":"","hash":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := parseCanonicalEntry(data)
		strict, err := strictEntry(data)
		if ok {
			require.NoError(t, err, "the fast path accepts what the strict decoder rejects: %q", data)
			requireSameEntry(t, strict, fast)
		}
		if err == nil && strict.Time >= 0 && len(strict.Type) <= MaxTypeLen && validTypeChars(strict.Type) {
			require.True(t, ok, "a canonical entry missed the fast path: %q", data)
		}
		got, derr := DecodeEntryJSON(data)
		require.Equal(t, err == nil, derr == nil)
		if derr == nil {
			requireSameEntry(t, strict, got)
		}
	})
}

func validTypeChars(t string) bool {
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
