//go:build !(js && wasm)

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/board"
	"golang.org/x/mod/sumdb/note"
)

// testManifest has the three homomorphic kinds.
const testManifest = `{"version":"tabella/v1","election_id":"web-1","title":"Town vote \u0026 referendum",` +
	`"schedule":{"opens":"2026-01-01T00:00:00Z","closes":"2027-01-01T00:00:00Z"},"contests":[` +
	`{"id":"mayor","title":"Mayor","kind":"one_of_n","options":[{"id":"alice","title":"Alice"},{"id":"bob","title":"Bob"}],"min_selections":1,"max_selections":1},` +
	`{"id":"council","title":"Council","kind":"approval","options":[{"id":"a","title":"A"},{"id":"b","title":"B"},{"id":"c","title":"C"}],"max_selections":2},` +
	`{"id":"parks","title":"Parks","kind":"score","options":[{"id":"p1","title":"P1"},{"id":"p2","title":"P2"}],"max_score":3}]}`

type fixture struct {
	info     []byte
	election *ballot.Election
	cred     *ballot.Credential
}

func newFixture(t testing.TB, manifest string, withCeremony bool) *fixture {
	t.Helper()
	m, err := ballot.DecodeManifest([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	_, jk := elgamal.GenerateKey()
	var ch [32]byte
	rand.Read(ch[:])
	e, err := ballot.NewElection(m, jk, ch)
	if err != nil {
		t.Fatal(err)
	}
	jkb := jk.Bytes()
	info := map[string]any{
		"election_id": m.ElectionID, "phase": "open", "manifest": json.RawMessage(manifest),
		"joint_key": hex.EncodeToString(jkb[:]), "base_hash": hex.EncodeToString(e.BaseHash[:]),
		"roll": map[string]any{"count": 1}, "ballots": 0,
	}
	if withCeremony {
		info["ceremony_hash"] = hex.EncodeToString(ch[:])
	}
	data, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{info: data, election: e, cred: ballot.NewCredential()}
}

func mustLoad(t *testing.T, f *fixture) *client {
	t.Helper()
	c := newClient()
	sum, err := c.loadElection(f.info)
	if err != nil {
		t.Fatal(err)
	}
	if sum.BaseHash != hex.EncodeToString(f.election.BaseHash[:]) {
		t.Fatalf("base hash %s, want %x", sum.BaseHash, f.election.BaseHash)
	}
	return c
}

const testChoices = `{"mayor":[0,1],"council":[1,0,1],"parks":[3,2]}`

func TestEncryptCastProducesVerifiableBallot(t *testing.T) {
	f := newFixture(t, testManifest, true)
	c := mustLoad(t, f)
	enc, err := c.encrypt(f.cred.Secret(), []byte(testChoices))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := c.cast(enc.Handle)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Type != "ballot" || sub.Signature != "" {
		t.Fatalf("submission type %q signature %q", sub.Type, sub.Signature)
	}
	pub := f.cred.Public().Bytes()
	if sub.Signer != "03"+hex.EncodeToString(pub[:]) || enc.Signer != sub.Signer {
		t.Fatalf("signer %s, want 03 || credential", sub.Signer)
	}
	raw, _ := hex.DecodeString(sub.Payload)
	b, err := ballot.DecodeBallot(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := ballot.Verify(f.election, b); err != nil {
		t.Fatalf("the service would reject the ballot: %v", err)
	}
	code, _ := b.TrackingCode()
	if string(code) != enc.TrackingCode {
		t.Fatalf("tracking code %s, ballot has %s", enc.TrackingCode, code)
	}
	// A retry gets the same bytes; the encryption can no longer be revealed.
	again, err := c.cast(enc.Handle)
	if err != nil || again.Payload != sub.Payload {
		t.Fatalf("retry: %v, same payload %v", err, again != nil && again.Payload == sub.Payload)
	}
	if _, err := c.spoil(enc.Handle); !errors.Is(err, errCast) {
		t.Fatalf("spoiling a cast encryption: %v, want errCast", err)
	}
}

func TestSpoilRevealsChoicesAndForbidsCasting(t *testing.T) {
	f := newFixture(t, testManifest, false)
	c := mustLoad(t, f)
	enc, err := c.encrypt(f.cred.Secret(), []byte(testChoices))
	if err != nil {
		t.Fatal(err)
	}
	sp, err := c.spoil(enc.Handle)
	if err != nil {
		t.Fatal(err)
	}
	if sp.Submission.Type != "ballot.spoiled" || sp.TrackingCode != enc.TrackingCode {
		t.Fatalf("spoil: type %q code %q (encrypted %q)", sp.Submission.Type, sp.TrackingCode, enc.TrackingCode)
	}
	want := map[string][]uint64{"mayor": {0, 1}, "council": {1, 0, 1}, "parks": {3, 2}}
	if fmt.Sprint(sp.Choices) != fmt.Sprint(want) {
		t.Fatalf("opened %v, want %v", sp.Choices, want)
	}
	// Anyone can check the published spoiled ballot against the election.
	raw, _ := hex.DecodeString(sp.Submission.Payload)
	s, err := ballot.DecodeSpoiled(raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ballot.VerifySpoiled(f.election, s); err != nil {
		t.Fatal(err)
	}
	op, err := c.verifySpoiled([]byte(sp.Submission.Payload))
	if err != nil || fmt.Sprint(op.Choices) != fmt.Sprint(want) || op.TrackingCode != enc.TrackingCode {
		t.Fatalf("verifySpoiled: %v %v", op, err)
	}
	if _, err := c.cast(enc.Handle); !errors.Is(err, errUnknown) {
		t.Fatalf("casting a revealed encryption: %v, want refusal", err)
	}
	if _, err := c.spoil(enc.Handle); !errors.Is(err, errUnknown) {
		t.Fatalf("spoiling twice: %v, want refusal", err)
	}
	// A fresh encryption of the same choices is a different ballot.
	enc2, err := c.encrypt(f.cred.Secret(), []byte(testChoices))
	if err != nil {
		t.Fatal(err)
	}
	if enc2.TrackingCode == enc.TrackingCode || enc2.Handle == enc.Handle {
		t.Fatal("re-encryption repeated the spoiled ballot")
	}
}

func TestSpoiledFromAnotherElectionFails(t *testing.T) {
	f := newFixture(t, testManifest, false)
	c := mustLoad(t, f)
	enc, err := c.encrypt(f.cred.Secret(), []byte(testChoices))
	if err != nil {
		t.Fatal(err)
	}
	sp, err := c.spoil(enc.Handle)
	if err != nil {
		t.Fatal(err)
	}
	other := mustLoad(t, newFixture(t, testManifest, false)) // same manifest, other key
	if _, err := other.verifySpoiled([]byte(sp.Submission.Payload)); !errors.Is(err, ballot.ErrWrongElection) {
		t.Fatalf("spoiled ballot of another election: %v, want ErrWrongElection", err)
	}
	// A forged opening (another value) fails.
	raw, _ := hex.DecodeString(sp.Submission.Payload)
	s, _ := ballot.DecodeSpoiled(raw)
	s.Openings[0][0].Value, s.Openings[0][1].Value = 1, 0
	forged, _ := s.Encode()
	if _, err := c.verifySpoiled(forged); !errors.Is(err, ballot.ErrSpoiledMismatch) {
		t.Fatalf("forged opening: %v, want ErrSpoiledMismatch", err)
	}
}

func TestEncryptRejectsBadInput(t *testing.T) {
	f := newFixture(t, testManifest, false)
	c := newClient()
	if _, err := c.encrypt(f.cred.Secret(), []byte(testChoices)); !errors.Is(err, errNoElection) {
		t.Fatalf("no election: %v", err)
	}
	c = mustLoad(t, f)
	secret := f.cred.Secret()
	typo := []byte(secret)
	typo[5] ^= 1
	for name, tc := range map[string]struct {
		cred, choices string
		want          error
	}{
		"credential typo": {string(typo), testChoices, ballot.ErrInvalidCredential},
		"over-vote":       {secret, `{"mayor":[1,1]}`, ballot.ErrInvalidChoices},
		"under-vote":      {secret, `{"council":[1,0,0]}`, ballot.ErrInvalidChoices},
		"not JSON":        {secret, `{"mayor":`, errBadInput},
		"negative":        {secret, `{"mayor":[-1,1]}`, errBadInput},
	} {
		_, err := c.encrypt(tc.cred, []byte(tc.choices))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), secret[4:12]) {
			t.Errorf("%s: error contains the credential", name)
		}
	}
}

func TestLoadElectionChecksBaseHash(t *testing.T) {
	f := newFixture(t, testManifest, true)
	var info map[string]any
	json.Unmarshal(f.info, &info)
	info["base_hash"] = strings.Repeat("ab", 32)
	bad, _ := json.Marshal(info)
	if _, err := newClient().loadElection(bad); !errors.Is(err, errElection) {
		t.Fatalf("wrong base hash: %v, want errElection", err)
	}
	info = nil
	json.Unmarshal(f.info, &info)
	info["election_id"] = "other"
	bad, _ = json.Marshal(info)
	if _, err := newClient().loadElection(bad); !errors.Is(err, errElection) {
		t.Fatalf("wrong election id: %v, want errElection", err)
	}
	info = nil
	json.Unmarshal(f.info, &info)
	info["manifest"] = json.RawMessage(strings.Replace(testManifest, `"version":"tabella/v1","election_id":"web-1"`, `"election_id":"web-1","version":"tabella/v1"`, 1)) // not canonical
	bad, _ = json.Marshal(info)
	if _, err := newClient().loadElection(bad); !errors.Is(err, ballot.ErrInvalidManifest) {
		t.Fatalf("non-canonical manifest: %v, want ErrInvalidManifest", err)
	}
}

type verifierKey struct {
	v    note.Verifier
	text string
}

func noteKeys() (note.Signer, verifierKey, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "board.test")
	if err != nil {
		return nil, verifierKey{}, err
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, verifierKey{}, err
	}
	v, err := note.NewVerifier(vkey)
	return s, verifierKey{v, vkey}, err
}

// testBoard is a real board (SQLite) holding a ballot, for receipts.
func testBoard(t *testing.T) (*board.Board, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "board.test")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	b, err := board.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "b.db"), board.Options{Signer: s, Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, vkey
}

func TestCheckReceipt(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testManifest, false)
	c := mustLoad(t, f)
	bd, vkey := testBoard(t)
	if _, err := bd.Append(ctx, "web-1", board.Submission{Type: "election.setup", Payload: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	enc, _ := c.encrypt(f.cred.Secret(), []byte(testChoices))
	sub, _ := c.cast(enc.Handle)
	payload, _ := hex.DecodeString(sub.Payload)
	signer, _ := hex.DecodeString(sub.Signer)
	rs, err := bd.Append(ctx, "web-1", board.Submission{Type: "ballot", Payload: payload, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	receipt := bulletin.MarshalReceipt(rs[0])
	answer, _ := json.Marshal(map[string]any{"receipt": json.RawMessage(receipt), "tracking_code": enc.TrackingCode})
	rf, err := c.receiptFile(answer, enc.TrackingCode, vkey)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"receipt":` + string(receipt) + `,"tracking_code":"` + enc.TrackingCode + `","board_key":"` + vkey + `"}`
	if rf["file"] != want {
		t.Fatalf("receipt file\n%s\nwant\n%s", rf["file"], want)
	}
	if _, err := c.checkReceipt([]byte(rf["file"]), vkey, nil, nil, nil); err != nil {
		t.Fatalf("the receipt file does not check: %v", err)
	}
	_, otherVK, _ := note.GenerateKey(rand.Reader, "board.test")
	if _, err := c.receiptFile(answer, enc.TrackingCode, otherVK); !errors.Is(err, bulletin.ErrCheckpoint) {
		t.Fatalf("receipt file under another board key: %v", err)
	}
	for i := 0; i < 3; i++ {
		if _, err := bd.Append(ctx, "web-1", board.Submission{Type: "ballot.x", Payload: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	latest, _ := bd.Checkpoint(ctx, "web-1")
	proof, _ := bd.ConsistencyProof(ctx, "web-1", 2, 5)
	proofJSON, _ := json.Marshal(bulletin.ConsistencyProof{Old: 2, New: 5, Proof: proof})
	entry, _ := bd.Entries(ctx, "web-1", 1, 2)
	entryJSON := bulletin.MarshalEntry(entry[0])

	got, err := c.checkReceipt(receipt, vkey, latest, proofJSON, entryJSON)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Consistent || got.LatestSize != 5 || got.Index != 1 || got.TrackingCode != enc.TrackingCode || got.EntryType != "ballot" {
		t.Fatalf("receipt check: %+v", got)
	}

	// Another board's key, a forged inclusion proof, a wrong consistency
	// proof and another entry all fail.
	_, otherKey, _ := note.GenerateKey(rand.Reader, "board.test")
	if _, err := c.checkReceipt(receipt, otherKey, nil, nil, nil); !errors.Is(err, bulletin.ErrCheckpoint) {
		t.Errorf("other board key: %v", err)
	}
	r, _ := bulletin.ParseReceipt(receipt)
	r.Inclusion[0][0] ^= 1
	if _, err := c.checkReceipt(bulletin.MarshalReceipt(r), vkey, nil, nil, nil); !errors.Is(err, bulletin.ErrProof) {
		t.Errorf("forged inclusion proof: %v", err)
	}
	bad := append([]bulletin.Hash(nil), proof...)
	bad[0][0] ^= 1
	badJSON, _ := json.Marshal(bulletin.ConsistencyProof{Old: 2, New: 5, Proof: bad})
	if _, err := c.checkReceipt(receipt, vkey, latest, badJSON, nil); !errors.Is(err, bulletin.ErrFork) {
		t.Errorf("forged consistency proof: %v", err)
	}
	other, _ := bd.Entries(ctx, "web-1", 2, 3)
	if _, err := c.checkReceipt(receipt, vkey, nil, nil, bulletin.MarshalEntry(other[0])); !errors.Is(err, errWrongReceipt) {
		t.Errorf("other entry: %v", err)
	}
}

func TestObserverVerifiesFeed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testManifest, false)
	c := mustLoad(t, f)
	bd, vkey := testBoard(t)
	enc, _ := c.encrypt(f.cred.Secret(), []byte(testChoices))
	sp, _ := c.spoil(enc.Handle)
	payload, _ := hex.DecodeString(sp.Submission.Payload)
	bd.Append(ctx, "web-1", board.Submission{Type: "election.open", Payload: []byte(`{"election_id":"web-1"}`)})
	bd.Append(ctx, "web-1", board.Submission{Type: "ballot.spoiled", Payload: payload})
	cpNote, _ := bd.Checkpoint(ctx, "web-1")
	entries, _ := bd.Entries(ctx, "web-1", 0, 2)

	if err := c.observe("web-1", vkey); err != nil {
		t.Fatal(err)
	}
	// A checkpoint ahead of its entries is held and checked later.
	cp, err := c.observeCheckpoint(cpNote)
	if err != nil || cp.Matched || cp.Size != 2 {
		t.Fatalf("early checkpoint: %+v %v", cp, err)
	}
	e0, err := c.observeEntry(bulletin.MarshalEntry(entries[0]))
	if err != nil || e0.Payload != `{"election_id":"web-1"}` {
		t.Fatalf("entry 0: %+v %v", e0, err)
	}
	e1, err := c.observeEntry(bulletin.MarshalEntry(entries[1]))
	if err != nil || e1.TrackingCode != enc.TrackingCode || fmt.Sprint(e1.Choices["mayor"]) != "[0 1]" {
		t.Fatalf("spoiled entry: %+v %v", e1, err)
	}
	cp, err = c.observeCheckpoint(cpNote)
	if err != nil || !cp.Matched {
		t.Fatalf("checkpoint: %+v %v", cp, err)
	}

	// A tampered entry, a skipped entry or a checkpoint of another history fail.
	c.observe("web-1", vkey)
	tampered := *entries[0]
	tampered.Payload = []byte(`{"election_id":"web-2"}`)
	if _, err := c.observeEntry(bulletin.MarshalEntry(&tampered)); !errors.Is(err, bulletin.ErrInvalidEntry) {
		t.Errorf("tampered entry: %v", err)
	}
	c.observe("web-1", vkey)
	if _, err := c.observeEntry(bulletin.MarshalEntry(entries[1])); !errors.Is(err, bulletin.ErrInvalidEntry) {
		t.Errorf("skipped entry: %v", err)
	}
	c.observe("web-1", vkey)
	c.observeEntry(bulletin.MarshalEntry(entries[0]))
	other := *entries[1]
	other.Payload = []byte("{}")
	other.Hash = other.ComputeHash("web-1")
	if _, err := c.observeEntry(bulletin.MarshalEntry(&other)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.observeCheckpoint(cpNote); !errors.Is(err, bulletin.ErrFork) {
		t.Errorf("checkpoint of another history: %v, want ErrFork", err)
	}
}

func TestWarmUp(t *testing.T) {
	c := newClient()
	if _, err := c.warmUp(); !errors.Is(err, errNoElection) {
		t.Fatalf("warmUp without an election: %v", err)
	}
	for _, m := range []string{testManifest, strings.Replace(testManifest, `"max_score":3}`, `"max_score":3,"min_total":5}`, 1)} {
		c := mustLoad(t, newFixture(t, m, false))
		if _, err := c.warmUp(); err != nil {
			t.Fatal(err)
		}
		if len(c.attempts) != 0 {
			t.Fatal("warmUp kept an encryption")
		}
	}
}

// testRankedManifest has a one_of_n contest and a ranked contest of 4
// options with a ranking length of 3.
const testRankedManifest = `{"version":"tabella/v1","election_id":"web-ranked","title":"Ranked vote",` +
	`"schedule":{"opens":"2026-01-01T00:00:00Z","closes":"2027-01-01T00:00:00Z"},"contests":[` +
	`{"id":"mayor","title":"Mayor","kind":"one_of_n","options":[{"id":"alice","title":"Alice"},{"id":"bob","title":"Bob"}],"min_selections":1,"max_selections":1},` +
	`{"id":"budget","title":"Budget","kind":"ranked","options":[{"id":"roads","title":"Roads"},{"id":"parks","title":"Parks"},{"id":"schools","title":"Schools"},{"id":"library","title":"Library"}],` +
	`"min_selections":1,"max_selections":3,"method":"irv"}]}`

func TestEncryptRanking(t *testing.T) {
	f := newFixture(t, testRankedManifest, true)
	c := mustLoad(t, f)
	enc, err := c.encrypt(f.cred.Secret(), []byte(`{"mayor":[1,0],"budget":["schools","roads"]}`))
	require.NoError(t, err)
	sub, err := c.cast(enc.Handle)
	require.NoError(t, err)
	raw, err := hex.DecodeString(sub.Payload)
	require.NoError(t, err)
	b, err := ballot.DecodeBallot(raw)
	require.NoError(t, err)
	require.NoError(t, ballot.Verify(f.election, b), "the service would reject the ballot")
	require.Len(t, b.Contests[1].Ranks, 3)

	// The same ranking given as values; the spoiled ballot opens to it.
	enc, err = c.encrypt(f.cred.Secret(), []byte(`{"mayor":[0,1],"budget":[3,1,0]}`))
	require.NoError(t, err)
	sp, err := c.spoil(enc.Handle)
	require.NoError(t, err)
	assert.Equal(t, []uint64{3, 1, 0}, sp.Choices["budget"])
	assert.Equal(t, []string{"schools", "roads"}, sp.Rankings["budget"])
	op, err := c.verifySpoiled([]byte(sp.Submission.Payload))
	require.NoError(t, err)
	assert.Equal(t, []string{"schools", "roads"}, op.Rankings["budget"])

	// A forged opening of a rank fails.
	sraw, _ := hex.DecodeString(sp.Submission.Payload)
	s, err := ballot.DecodeSpoiled(sraw)
	require.NoError(t, err)
	s.Openings[1][0].Value = 2
	forged, _ := s.Encode()
	_, err = c.verifySpoiled(forged)
	assert.ErrorIs(t, err, ballot.ErrSpoiledMismatch)

	for name, choices := range map[string]string{
		"repeat":         `{"mayor":[1,0],"budget":["roads","roads"]}`,
		"unknown option": `{"mayor":[1,0],"budget":["roads","pool"]}`,
		"too long":       `{"mayor":[1,0],"budget":["roads","parks","schools","library"]}`,
		"empty":          `{"mayor":[1,0],"budget":[]}`,
		"skip as values": `{"mayor":[1,0],"budget":[0,2,0]}`,
		"value n+1":      `{"mayor":[1,0],"budget":[5,0,0]}`,
		"ids elsewhere":  `{"mayor":["alice"],"budget":["roads"]}`,
	} {
		_, err := c.encrypt(f.cred.Secret(), []byte(choices))
		assert.ErrorIs(t, err, ballot.ErrInvalidChoices, name)
	}
	_, err = c.encrypt(f.cred.Secret(), []byte(`{"mayor":[1,0],"budget":["roads",1]}`))
	assert.ErrorIs(t, err, errBadInput, "mixed ranking")

	_, err = c.warmUp()
	require.NoError(t, err, "warm-up of a ranked election")
}
