package main

import (
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/ballot"
)

// TestErrorCodes: every sentinel has its code, found through wrapping;
// an error of no known kind is client_error; codes are never empty.
func TestErrorCodes(t *testing.T) {
	for _, ec := range errorCodes {
		require.NotEmpty(t, ec.code)
		assert.Equal(t, ec.code, errorCode(ec.err), "%v", ec.err)
		assert.Equal(t, ec.code, errorCode(fmt.Errorf("context: %w", ec.err)), "wrapped %v", ec.err)
	}
	assert.Equal(t, codeClient, errorCode(fmt.Errorf("something else")))
	assert.Equal(t, map[string]string{"error": errNoKey.Error(), "code": "no_key"}, errorDoc(errNoKey))
	assert.Equal(t, codeBadManifest, errorCode(fmt.Errorf("%w: contests.0.id: x", errBadForm)))
}

// TestErrorCodesOfCalls: what the console and the voter page meet carries
// the code the pages translate.
func TestErrorCodesOfCalls(t *testing.T) {
	c := newClient()
	_, err := c.officialOpen([]byte(base64.StdEncoding.EncodeToString([]byte("not a key file"))), []byte("x"))
	require.Error(t, err)
	assert.Equal(t, codeKeyKind, errorCode(err), "%v", err)
	_, err = c.officialOpen([]byte("%%%"), nil)
	assert.Equal(t, codeBadInput, errorCode(err), "%v", err)
	_, err = c.phaseEntry("e", "open")
	assert.Equal(t, codeNoKey, errorCode(err), "%v", err)
	_, err = c.checkCredential("TC1-nonsense")
	require.Error(t, err)
	assert.Equal(t, codeCredential, errorCode(err), "%v", err)
	_, err = c.encrypt("x", []byte("{}"))
	assert.Equal(t, codeNoElection, errorCode(err), "%v", err)
	_, err = ballot.DecodeManifest([]byte("{}"))
	assert.Equal(t, codeBadManifest, errorCode(err))
}
