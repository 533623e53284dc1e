package difftest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/board"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/e2e/service"
	"github.com/tabella-vote/tabella/e2e/verify"
)

// The valid corpus record, read once: the fuzz target's starting point.
var (
	validOnce    sync.Once
	validHeader  record.Header
	validEntries []*bulletin.Entry
	validSKey    string
	validErr     error
)

func loadValid(t *testing.T) {
	validOnce.Do(func() {
		var data []byte
		if data, validErr = os.ReadFile(filepath.Join(corpusDir, "valid.record")); validErr != nil {
			return
		}
		validHeader, validEntries, validErr = readEntries(data)
	})
	require.NoError(t, validErr)
	require.NotEmpty(t, validEntries)
	if validSKey == "" {
		skey, ok := boardKeys(t)[validHeader.BoardKey]
		require.True(t, ok, "no signer key in board-keys.txt for valid.record's board")
		validSKey = skey
	}
}

// A sub is one entry of a mutated record before it is chained.
type sub struct {
	typ                        string
	time                       int64
	payload, signer, signature []byte
}

// entryTypes are the types a type mutation picks from.
var entryTypes = []string{
	record.TypeSetup, record.TypeManifest, record.TypeRollVoters, record.TypeRollSeal,
	record.TypeCeremony, record.TypeCommitments, record.TypeComplaints, record.TypeShares, record.TypeAnswer, record.TypeCeremonyEnd,
	record.TypeOpen, record.TypeBallot, record.TypeSpoiled, record.TypeClose, record.TypeShare, record.TypeResult,
}

// mutate applies the operations encoded in ops (4 bytes each: operation,
// entry, two arguments; at most 4 operations) to the valid record's
// entries and returns what they describe. The entries keep their
// signatures unless an operation breaks them (or re-signs a board entry
// with the board's key, which the corpus publishes), so most mutations
// are well-signed entries in the wrong place, at the wrong time, twice or
// missing: the election rules, not the signatures, must catch them.
func mutate(es []*bulletin.Entry, boardKey ed25519.PrivateKey, election string, ops []byte) []sub {
	subs := make([]sub, len(es))
	for i, e := range es {
		subs[i] = sub{typ: e.Type, time: e.Time, payload: bytes.Clone(e.Payload), signer: bytes.Clone(e.Signer), signature: bytes.Clone(e.Signature)}
	}
	for n := 0; len(ops) >= 4 && n < 4 && len(subs) > 0; n, ops = n+1, ops[4:] {
		op, i, a, b := ops[0]%9, int(ops[1])%len(subs), ops[2], ops[3]
		j := int(a) % len(subs)
		pos := int(a)<<8 | int(b)
		switch op {
		case 0: // drop entry i
			subs = append(subs[:i:i], subs[i+1:]...)
		case 1: // repeat entry i after entry j
			c := subs[i]
			subs = append(subs[:j+1:j+1], append([]sub{c}, subs[j+1:]...)...)
		case 2: // move entry i to position j
			c := subs[i]
			rest := append(subs[:i:i], subs[i+1:]...)
			j = min(j, len(rest))
			subs = append(rest[:j:j], append([]sub{c}, rest[j:]...)...)
		case 3: // swap entries i and i+1
			if i+1 < len(subs) {
				subs[i], subs[i+1] = subs[i+1], subs[i]
			}
		case 4: // move entry i in time by a·b minutes, either way
			subs[i].time += int64(int8(a)) * int64(b) * int64(time.Minute/time.Millisecond)
		case 5: // flip a bit of the payload
			if len(subs[i].payload) > 0 {
				subs[i].payload[pos%len(subs[i].payload)] ^= 1 << (b % 8)
			}
		case 6: // flip a bit of the signature or the signer
			f := &subs[i].signature
			if a%2 == 1 {
				f = &subs[i].signer
			}
			if len(*f) > 0 {
				(*f)[pos%len(*f)] ^= 1 << (b % 8)
			}
		case 7: // another type
			subs[i].typ = entryTypes[int(a)%len(entryTypes)]
		case 8: // flip a bit of a board entry's payload and sign it again
			if s, err := record.ParseSigner(subs[i].signer); err == nil && s.Kind == record.Board && len(subs[i].payload) > 0 {
				subs[i].payload[pos%len(subs[i].payload)] ^= 1 << (b % 8)
				subs[i].signer, subs[i].signature = record.Sign(record.Board, boardKey, election, subs[i].typ, subs[i].payload)
			}
		}
	}
	// A board's times never go back (a board clamps them): keep the record
	// a valid board so that every failure is an election rule's.
	for i := 1; i < len(subs); i++ {
		subs[i].time = max(subs[i].time, subs[i-1].time)
	}
	return subs
}

// chain builds the record file of subs as an honest board would: entries
// numbered and chained, a signed checkpoint every 8 entries and at the end.
func chain(t *testing.T, h record.Header, signer note.Signer, boardName string, subs []sub) []byte {
	var buf bytes.Buffer
	w, err := record.NewWriter(&buf, h)
	require.NoError(t, err)
	var prev bulletin.Hash
	var tree bulletin.Tree
	for i, s := range subs {
		e := &bulletin.Entry{Index: uint64(i), Type: s.typ, Time: s.time, Prev: prev,
			Payload: bulletin.Bytes(s.payload), Signer: bulletin.Bytes(s.signer), Signature: bulletin.Bytes(s.signature)}
		e.Hash = e.ComputeHash(h.Election)
		prev = e.Hash
		require.NoError(t, w.Entry(e))
		tree.Add(e.Hash)
		if tree.Size()%8 == 0 || i == len(subs)-1 {
			n, err := bulletin.SignCheckpoint(bulletin.Checkpoint{Origin: bulletin.Origin(boardName, h.Election), Size: tree.Size(), Root: tree.Root()}, signer)
			require.NoError(t, err)
			require.NoError(t, w.Checkpoint(n))
		}
	}
	require.NoError(t, w.Flush())
	return buf.Bytes()
}

// inProcess is a service in this process behind a real HTTP listener,
// with a clock the replay sets: fast enough for a fuzz target.
type inProcess struct {
	url string
	now atomic.Int64
}

func (p *inProcess) base() string                    { return p.url }
func (p *inProcess) setClock(_ *testing.T, ms int64) { p.now.Store(ms) }

func startInProcess(t *testing.T, skey string, officials []string, start int64) *inProcess {
	p := &inProcess{}
	p.now.Store(start)
	var offs []ed25519.PublicKey
	for _, o := range officials {
		k, err := hexKey(o)
		require.NoError(t, err)
		offs = append(offs, k)
	}
	svc, err := service.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "board.db"), service.Options{
		BoardKey: skey, Officials: offs, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		BatchWait: time.Microsecond,
		Board:     board.Options{Now: func() time.Time { return time.UnixMilli(p.now.Load()) }},
	})
	require.NoError(t, err)
	srv := httptest.NewServer(svc.Handler(service.HTTPOptions{IPRate: 1e9, IPBurst: 1e9, CredRate: 1e9, CredBurst: 1e9}))
	t.Cleanup(func() {
		srv.Close()
		svc.Close()
	})
	p.url = srv.URL
	return p
}

func hexKey(s string) (ed25519.PublicKey, error) {
	k, err := hex.DecodeString(s)
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("official key %q: not %d bytes of hex", s, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(k), nil
}

// FuzzMutatedRecord mutates the valid corpus record entry by entry
// (dropped, repeated, moved, swapped, re-timed, bit-flipped, retyped,
// re-signed by the board), chains and signs the result as an honest board
// would, and checks that the service and the verifier agree: the service
// admits every entry before the first one that breaks an election rule in
// the verifier's report and refuses that one by the same rule, and admits
// the whole record when the verifier finds no broken rule.
func FuzzMutatedRecord(f *testing.F) {
	for _, seed := range [][]byte{
		nil,                       // the valid record itself
		{0, 12, 0, 0},             // drop roll.seal's neighbourhood
		{0, 20, 0, 0},             // drop an entry in the ceremony
		{1, 30, 33, 0},            // repeat a ballot later
		{1, 1, 2, 0},              // repeat the manifest
		{2, 35, 2, 0},             // move an entry to the start
		{2, 38, 28, 0},            // move the tally.result before the close
		{3, 28, 0, 0},             // swap two entries
		{4, 30, 120, 200},         // a ballot 4000 minutes late
		{4, 3, 0x80, 255},         // an entry far earlier (clamped by the board)
		{5, 30, 1, 7},             // flip a payload bit of a ballot
		{6, 25, 0, 3},             // flip a signature bit
		{6, 25, 1, 9},             // flip a signer bit
		{7, 30, 12, 0},            // a ballot retyped as election.close
		{8, 38, 0, 40},            // a board-signed entry changed and re-signed
		{8, 20, 0, 1, 0, 5, 0, 0}, // two operations
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 16 {
			return
		}
		loadValid(t)
		skey := validSKey
		priv := signerPrivate(t, skey)
		signer, err := note.NewSigner(skey)
		require.NoError(t, err)
		subs := mutate(validEntries, priv, validHeader.Election, ops)
		if len(subs) == 0 {
			return
		}
		rec := chain(t, validHeader, signer, signer.Name(), subs)

		rep, verr := verify.Record(context.Background(), bytes.NewReader(rec), verify.Options{All: true})
		want := int64(-1)
		var check verify.Check
		for _, f := range rep.Failures {
			switch f.Check {
			case rules.CheckFormat, rules.CheckEntry, rules.CheckChain, rules.CheckCheckpoint, rules.CheckFork, rules.CheckRoot, rules.CheckWitness:
				t.Fatalf("the mutated record is not a valid board (a fault of this test): %v", f)
			}
			if !boardChecks[f.Check] && want < 0 {
				want, check = f.Entry, f.Check
				require.GreaterOrEqual(t, want, int64(0), "an election rule (%s) that names no entry: %v", check, f)
			}
		}
		valid := verr == nil && rep.Valid
		if want < 0 {
			t.Logf("the verifier finds no broken election rule (valid %v)", valid)
		} else {
			t.Logf("the verifier: first election rule broken: %q at entry %d", check, want)
		}
		_, es, err := readEntries(rec)
		require.NoError(t, err)
		require.Len(t, es, len(subs))
		p := startInProcess(t, skey, officialsOf(es), es[0].Time)
		replay(t, p, validHeader.Election, es, want, check, valid && want < 0)
	})
}

// signerPrivate returns the Ed25519 private key of a note signer key.
func signerPrivate(t *testing.T, skey string) ed25519.PrivateKey {
	parts := strings.SplitN(skey, "+", 5)
	require.Len(t, parts, 5)
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	require.NoError(t, err)
	require.Len(t, raw, 1+ed25519.SeedSize)
	return ed25519.NewKeyFromSeed(raw[1:])
}
