package officialkey

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/tally/trustee"
)

const pass = "correct horse battery"

func newKey(t testing.TB) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return k
}

func TestRoundTrip(t *testing.T) {
	k := newKey(t)
	data, err := Seal(k, pass, 10)
	require.NoError(t, err)
	got, err := Open(data, pass)
	require.NoError(t, err)
	assert.Equal(t, k, got)
	_, err = Seal(k, "short", 10)
	assert.ErrorIs(t, err, ErrWeakPass)
}

// TestMistakes: each mistake an official can make gets its own error,
// and none of the messages holds the passphrase.
func TestMistakes(t *testing.T) {
	k := newKey(t)
	good, err := Seal(k, pass, 10)
	require.NoError(t, err)
	tid, err := trustee.Generate("Ada")
	require.NoError(t, err)
	tkey, err := tid.Seal(pass, 10)
	require.NoError(t, err)
	x, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	var toKey bytes.Buffer
	w, err := age.Encrypt(&toKey, x.Recipient())
	require.NoError(t, err)
	w.Write([]byte(`{"seed":"00","version":"tabella-official-key/v1"}`))
	w.Close()
	damaged := bytes.Clone(good)
	damaged[len(damaged)-5] ^= 1
	badHeader := bytes.Clone(good)
	badHeader[bytes.Index(badHeader, []byte("\n---"))+6] ^= 1
	cred := "# Tabella voting credential. Keep it secret: anyone holding it can vote in your name.\nvoter: 1\nelection: e\nserver: http://x\ncredential: " + ballot.NewCredential().Secret() + "\n"
	for _, c := range []struct {
		name string
		data []byte
		pass string
		want error
		says string
	}{
		{"wrong passphrase", good, "another passphrase", ErrPassphrase, "wrong passphrase"},
		{"empty passphrase", good, "", ErrPassphrase, "wrong passphrase"},
		{"trustee key file", tkey, pass, ErrOtherKind, "trustee's key file"},
		{"trustee key file, other passphrase", tkey, "another passphrase", ErrPassphrase, "wrong passphrase"},
		{"trustee public record", tid.Public().Marshal(), pass, ErrOtherKind, "public record"},
		{"credential", []byte(cred), pass, ErrOtherKind, "voter's credential"},
		{"empty", nil, pass, ErrOtherKind, "empty"},
		{"text", []byte("hello"), pass, ErrOtherKind, "not an age-encrypted file"},
		{"encrypted to a key", toKey.Bytes(), pass, ErrOtherKind, "encrypted to a key"},
		{"damaged payload", damaged, pass, ErrCorrupt, "damaged"},
		{"damaged header MAC", badHeader, pass, ErrCorrupt, "damaged"},
		{"truncated", good[:len(good)-20], pass, ErrCorrupt, "damaged"},
		{"too large", append(bytes.Clone(good), make([]byte, MaxFileSize)...), pass, ErrOtherKind, "at most"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Open(c.data, c.pass)
			require.ErrorIs(t, err, c.want)
			assert.Nil(t, got)
			assert.Contains(t, err.Error(), c.says)
			assert.NotContains(t, err.Error(), pass)
		})
	}
}

// TestTrusteeVersion: the trustee's version named here is the trustee
// package's.
func TestTrusteeVersion(t *testing.T) {
	assert.Equal(t, trustee.KeyFileVersion, trusteeKeyVersion)
}

func FuzzOpen(f *testing.F) {
	good, err := Seal(newKey(f), pass, 2)
	require.NoError(f, err)
	f.Add(good)
	f.Add([]byte("age-encryption.org/v1\n-> scrypt AAAA 2\n"))
	f.Add([]byte("credential: x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := Open(data, pass)
		if err != nil {
			assert.Nil(t, k)
			return
		}
		assert.Len(t, k, ed25519.PrivateKeySize)
	})
}
