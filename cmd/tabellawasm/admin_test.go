//go:build !js

package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/cmd/internal/officialkey"
	"github.com/tabella-vote/tabella/e2e/browser"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/e2e/service"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

const testPass = "correct horse battery"

// openConsole returns a client with an official's key opened the way the
// console opens it (the key file's bytes in base64).
func openConsole(t *testing.T) (*client, ed25519.PrivateKey) {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	file, err := officialkey.Seal(k, testPass, 10)
	require.NoError(t, err)
	c := newClient()
	pub, err := c.officialOpen([]byte(base64.StdEncoding.EncodeToString(file)), []byte(testPass))
	require.NoError(t, err)
	assert.Equal(t, hex.EncodeToString(k.Public().(ed25519.PublicKey)), pub.PublicKey)
	return c, k
}

// TestOfficialOpenMistakes: a wrong passphrase, a file of another kind or
// a damaged file is refused with officialkey's error, and leaves no key
// open (so nothing can be signed).
func TestOfficialOpenMistakes(t *testing.T) {
	_, k, _ := ed25519.GenerateKey(rand.Reader)
	file, err := officialkey.Seal(k, testPass, 10)
	require.NoError(t, err)
	tid, err := trustee.Generate("Ada")
	require.NoError(t, err)
	tkey, err := tid.Seal(testPass, 10)
	require.NoError(t, err)
	damaged := []byte(string(file))
	damaged[len(damaged)-3] ^= 1
	b64 := func(b []byte) []byte { return []byte(base64.StdEncoding.EncodeToString(b)) }
	for _, c := range []struct {
		name       string
		file, pass []byte
		want       error
	}{
		{"wrong passphrase", b64(file), []byte("not the passphrase"), officialkey.ErrPassphrase},
		{"trustee key", b64(tkey), []byte(testPass), officialkey.ErrOtherKind},
		{"trustee record", b64(tid.Public().Marshal()), []byte(testPass), officialkey.ErrOtherKind},
		{"credential", b64([]byte("credential: " + ballot.NewCredential().Secret())), []byte(testPass), officialkey.ErrOtherKind},
		{"damaged", b64(damaged), []byte(testPass), officialkey.ErrCorrupt},
		{"not base64", []byte("%%%"), []byte(testPass), errBadInput},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := newClient()
			_, err := cl.officialOpen(c.file, c.pass)
			require.ErrorIs(t, err, c.want)
			assert.NotContains(t, err.Error(), testPass)
			_, err = cl.phaseEntry("e", "open")
			assert.ErrorIs(t, err, errNoKey)
		})
	}
}

// TestManifestCheckFields: each mistake of the form is reported on its
// field, several at once, by the rules of ballot.Manifest.Validate.
func TestManifestCheckFields(t *testing.T) {
	c := newClient()
	good := browser.DemoManifest
	r, err := c.manifestCheck([]byte(good))
	require.NoError(t, err)
	require.Empty(t, r.Errors)
	var m ballot.Manifest
	require.NoError(t, json.Unmarshal([]byte(good), &m))
	enc, _ := m.Encode()
	assert.Equal(t, string(enc), r.Canonical)

	for _, tc := range []struct {
		name   string
		edit   func(m *ballot.Manifest)
		fields []string
	}{
		{"election id", func(m *ballot.Manifest) { m.ElectionID = "Bad Id" }, []string{"election_id"}},
		{"schedule order", func(m *ballot.Manifest) { m.Schedule.Closes = "2025-01-01T00:00:00Z" }, []string{"schedule.closes"}},
		{"opens form", func(m *ballot.Manifest) { m.Schedule.Opens = "2026-01-01T08:00Z" }, []string{"schedule.opens"}},
		{"option id and score", func(m *ballot.Manifest) {
			m.Contests[0].Options[1].ID = ""
			m.Contests[2].MaxScore = 0
		}, []string{"contests.0.options.1.id", "contests.2.max_score"}},
		{"option title", func(m *ballot.Manifest) { m.Contests[1].Options[2].Title = "" }, []string{"contests.1.options.2.title"}},
		{"approval limits", func(m *ballot.Manifest) { m.Contests[1].MaxSelections = 9 }, []string{"contests.1.max_selections"}},
		{"approval min over max", func(m *ballot.Manifest) { m.Contests[1].MinSelections = 3 }, []string{"contests.1.min_selections"}},
		{"max_total", func(m *ballot.Manifest) { m.Contests[2].MaxTotal = 11 }, []string{"contests.2.max_total"}},
		{"one option", func(m *ballot.Manifest) { m.Contests[0].Options = m.Contests[0].Options[:1] }, []string{"contests.0.options"}},
		{"duplicate option", func(m *ballot.Manifest) { m.Contests[0].Options[2].ID = "alice" }, []string{"contests.0.options.2.id"}},
		{"kind", func(m *ballot.Manifest) { m.Contests[0].Kind = "plurality" }, []string{"contests.0.kind"}},
		{"contest title", func(m *ballot.Manifest) { m.Contests[1].Title = "" }, []string{"contests.1.title"}},
		{"duplicate contest", func(m *ballot.Manifest) { m.Contests[2].ID = "mayor" }, []string{"contests.2.id"}},
		{"no contests", func(m *ballot.Manifest) { m.Contests = nil }, []string{"contests"}},
		{"election title in French", func(m *ballot.Manifest) { m.Titles = ballot.Titles{"fr": "", "de": "Wahl"} }, []string{"titles.fr"}},
		{"language tag", func(m *ballot.Manifest) { m.Titles = ballot.Titles{"fr-ca": "Élection"} }, []string{"titles"}},
		{"contest and option titles", func(m *ballot.Manifest) {
			m.Contests[1].Titles = ballot.Titles{"de": "Rat\x07"}
			m.Contests[2].Options[1].Titles = ballot.Titles{"it": strings.Repeat("x", 257)}
		}, []string{"contests.1.titles.de", "contests.2.options.1.titles.it"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m ballot.Manifest
			require.NoError(t, json.Unmarshal([]byte(good), &m))
			tc.edit(&m)
			b, _ := json.Marshal(&m)
			r, err := c.manifestCheck(b)
			require.NoError(t, err)
			var got []string
			for _, e := range r.Errors {
				got = append(got, e.Field)
				assert.NotEmpty(t, e.Message)
			}
			assert.Equal(t, tc.fields, got, "%+v", r.Errors)
			assert.Empty(t, r.Canonical)
			// The server's decoder refuses it too.
			assert.Error(t, m.Validate())
		})
	}
	// Localised titles go into the canonical manifest in canonical order.
	var titled ballot.Manifest
	require.NoError(t, json.Unmarshal([]byte(good), &titled))
	titled.Titles = ballot.Titles{"it": "Elezione", "de": "Wahl"}
	titled.Contests[0].Options[0].Titles = ballot.Titles{"fr": "Alice (fr)"}
	b, _ := json.Marshal(&titled)
	r, err = c.manifestCheck(b)
	require.NoError(t, err)
	require.Empty(t, r.Errors)
	assert.Contains(t, r.Canonical, `"titles":{"de":"Wahl","it":"Elezione"},"schedule"`)
	assert.Contains(t, r.Canonical, `{"id":"alice","title":"Alice Martin","titles":{"fr":"Alice (fr)"}}`)
	_, err = ballot.DecodeManifest([]byte(r.Canonical))
	require.NoError(t, err)
	r, err = c.manifestCheck([]byte(strings.Replace(good, `"max_score":5`, `"max_score":-1`, 1)))
	require.NoError(t, err)
	require.Len(t, r.Errors, 1)
	assert.Equal(t, "contests.2.max_score", r.Errors[0].Field)
	r, err = c.manifestCheck([]byte(strings.Replace(good, `"title":"Mayor"`, `"title":"Mayor","colour":"red"`, 1)))
	require.NoError(t, err)
	require.Len(t, r.Errors, 1)
	assert.Equal(t, "contests.0", r.Errors[0].Field)
}

func decodeSub(t *testing.T, s Submission) service.Submission {
	t.Helper()
	body, err := json.Marshal(s)
	require.NoError(t, err)
	d, err := service.DecodeSubmission(body)
	require.NoError(t, err, "the service decodes the console's submission")
	return *d
}

// TestConsoleEntriesAreTheCLIs: the console's entries are byte for byte
// the command line's (cmd/tabella createElection, postRoll,
// runElectionPhase: service.NewSetup, RollPayloads, PhasePayload signed
// by service.Official), and the rule book (e2e/rules) admits them in
// order on a fresh board; a forged one is refused.
func TestConsoleEntriesAreTheCLIs(t *testing.T) {
	c, key := openConsole(t)
	off := service.Official{Key: key}
	_, _, vkey, err := browser.NoteKeys("board.test")
	require.NoError(t, err)
	var ids []*trustee.Identity
	var recs []string
	var pubs []trustee.Public
	for _, n := range []string{"Ada", "Ben", "Chidi"} {
		id, err := trustee.Generate(n)
		require.NoError(t, err)
		ids = append(ids, id)
		recs = append(recs, string(id.Public().Marshal()))
		pubs = append(pubs, *id.Public())
	}
	manifest := strings.Replace(browser.DemoManifest, `"election_id":"demo"`, `"election_id":"console-1"`, 1)
	co := []string{hex.EncodeToString(make([]byte, 31)) + "01"}
	req, _ := json.Marshal(CreateRequest{Board: BoardRef{Name: "board.test", Key: vkey}, Manifest: manifest, Trustees: recs, Threshold: 2, RoundSeconds: 20, CoOfficials: co})
	cr, err := c.electionCreate(req)
	require.NoError(t, err)
	require.Equal(t, "console-1", cr.ElectionID)
	require.Len(t, cr.Submissions, 3)

	// The command line's entries.
	var m ballot.Manifest
	require.NoError(t, json.Unmarshal([]byte(manifest), &m))
	menc, _ := m.Encode()
	mh, _ := m.Hash()
	coKey, _ := hex.DecodeString(co[0])
	setup, err := service.NewSetup("console-1", "board.test", vkey, []ed25519.PublicKey{off.Public(), coKey}, pubs, 2)
	require.NoError(t, err)
	params, err := ceremony.NewParams("console-1", mh, 2, 20*time.Second, pubs)
	require.NoError(t, err)
	want := []service.Submission{off.Sign("console-1", record.TypeSetup, setup), off.Sign("console-1", record.TypeManifest, menc), off.Sign("console-1", record.TypeCeremony, params.Marshal())}

	require.NoError(t, c.rollBegin([]byte("console-1"), []byte("http://127.0.0.1:8080"), 12001))
	var secrets []string
	for {
		p, err := c.rollStep(5000)
		require.NoError(t, err)
		secrets = append(secrets, p.Secrets...)
		assert.Equal(t, len(p.Secrets), strings.Count(p.CSV, "\n"))
		if p.Done == p.Total {
			break
		}
	}
	_, err = c.rollStep(1)
	require.NoError(t, err, "a step past the end makes nothing")
	roll, err := c.rollFinish()
	require.NoError(t, err)
	require.Len(t, roll.Submissions, 3, "two chunks of 10000 and the seal")
	pts := make([]*group.Point, len(secrets))
	for i, s := range secrets {
		cred, err := ballot.ParseCredential(s)
		require.NoError(t, err)
		pts[i] = cred.Public()
	}
	chunks, seal, err := service.RollPayloads("console-1", pts)
	require.NoError(t, err)
	for _, ch := range chunks {
		want = append(want, off.Sign("console-1", record.TypeRollVoters, ch))
	}
	want = append(want, off.Sign("console-1", record.TypeRollSeal, seal))
	got := append(append([]Submission{}, cr.Submissions...), roll.Submissions...)
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i], decodeSub(t, got[i]), "entry %d (%s)", i, want[i].Type)
	}
	for _, verb := range []string{"open", "close"} {
		s, err := c.phaseEntry("console-1", verb)
		require.NoError(t, err)
		typ := map[string]string{"open": record.TypeOpen, "close": record.TypeClose}[verb]
		assert.Equal(t, off.Sign("console-1", typ, service.PhasePayload("console-1")), decodeSub(t, *s))
	}

	// The rule book admits the console's entries in order.
	cfg, err := rules.NewConfig("console-1", vkey)
	require.NoError(t, err)
	st := rules.New(cfg)
	var prev bulletin.Hash
	entry := func(i int, s service.Submission) *bulletin.Entry {
		e := &bulletin.Entry{Index: uint64(i), Type: s.Type, Time: time.Now().UnixMilli(), Prev: prev, Payload: s.Payload, Signer: s.Signer, Signature: s.Signature}
		e.Hash = e.ComputeHash("console-1")
		return e
	}
	for i, s := range got {
		e := entry(i, decodeSub(t, s))
		require.NoError(t, st.Apply(e, nil), "entry %d (%s)", i, e.Type)
		prev = e.Hash
	}
	require.NotNil(t, st.Seal, "the roll is sealed")
	assert.Equal(t, uint64(12001), st.Seal.Count)
	assert.Len(t, st.Roll, 12001)

	// A console entry signed by another official's key is refused.
	other, _ := openConsole(t)
	s, err := other.phaseEntry("console-1", "open")
	require.NoError(t, err)
	err = st.Apply(entry(len(got), decodeSub(t, *s)), nil)
	require.Error(t, err)
	t.Logf("forged election.open refused: %v", err)
}

// TestElectionCreateRefuses: electionCreate signs nothing for a bad form,
// bad trustees or a bad threshold.
func TestElectionCreateRefuses(t *testing.T) {
	c, _ := openConsole(t)
	_, _, vkey, _ := browser.NoteKeys("board.test")
	id, _ := trustee.Generate("Ada")
	rec := string(id.Public().Marshal())
	for name, req := range map[string]CreateRequest{
		"manifest":    {Manifest: strings.Replace(browser.DemoManifest, `"demo"`, `"Demo"`, 1), Trustees: []string{rec}, Threshold: 1, RoundSeconds: 5},
		"trustee":     {Manifest: browser.DemoManifest, Trustees: []string{`{"version":"x"}`}, Threshold: 1, RoundSeconds: 5},
		"threshold":   {Manifest: browser.DemoManifest, Trustees: []string{rec}, Threshold: 2, RoundSeconds: 5},
		"round":       {Manifest: browser.DemoManifest, Trustees: []string{rec}, Threshold: 1, RoundSeconds: 0},
		"co-official": {Manifest: browser.DemoManifest, Trustees: []string{rec}, Threshold: 1, RoundSeconds: 5, CoOfficials: []string{"abc"}},
	} {
		req.Board = BoardRef{Name: "board.test", Key: vkey}
		b, _ := json.Marshal(req)
		r, err := c.electionCreate(b)
		assert.Error(t, err, name)
		assert.Nil(t, r, name)
	}
	_, err := c.electionCreate([]byte(`{"unknown":1}`))
	assert.ErrorIs(t, err, errBadInput)
	c.officialForget()
	b, _ := json.Marshal(CreateRequest{Board: BoardRef{Name: "board.test", Key: vkey}, Manifest: browser.DemoManifest, Trustees: []string{rec}, Threshold: 1, RoundSeconds: 5})
	_, err = c.electionCreate(b)
	assert.ErrorIs(t, err, errNoKey, fmt.Sprint("after officialForget"))
}

// FuzzManifestCheck: the form's JSON never crashes the check; a manifest
// it passes is one the server's decoder accepts, and errors come without
// a canonical encoding.
func FuzzManifestCheck(f *testing.F) {
	f.Add([]byte(browser.DemoManifest))
	f.Add([]byte(`{"contests":[{"max_score":-1}]}`))
	f.Add([]byte(`{"contests":[1]}`))
	c := newClient()
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := c.manifestCheck(data)
		if err != nil {
			return
		}
		if len(r.Errors) > 0 {
			assert.Empty(t, r.Canonical)
			return
		}
		_, err = ballot.DecodeManifest([]byte(r.Canonical))
		assert.NoError(t, err)
	})
}

// FuzzConsoleInputs: key files, trustee records and create requests from
// the page never crash the client, and a failed call returns nil.
func FuzzConsoleInputs(f *testing.F) {
	_, k, _ := ed25519.GenerateKey(rand.Reader)
	file, _ := officialkey.Seal(k, testPass, 2)
	f.Add([]byte(base64.StdEncoding.EncodeToString(file)))
	id, _ := trustee.Generate("Ada")
	f.Add(id.Public().Marshal())
	f.Add([]byte(`{"board":{"name":"b","key":"x"},"manifest":"{}","trustees":[],"threshold":1,"round_seconds":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newClient()
		if r, err := c.trusteeParse(data); err != nil {
			assert.Nil(t, r)
		}
		if r, err := c.officialOpen(data, []byte(testPass)); err != nil {
			assert.Nil(t, r)
		}
		c2, _ := openConsole(t)
		if r, err := c2.electionCreate(data); err != nil {
			assert.Nil(t, r)
		}
	})
}
