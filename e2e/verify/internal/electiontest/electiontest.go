// Package electiontest builds whole, valid election records with the
// library alone, for the verifier's tests, its tamper corpus
// (e2e/testdata, e2e/SPEC.md §13) and its benchmarks: a setup, a manifest,
// a roll, a real key ceremony (ceremony.Trustee state machines over the
// record itself), the opening, ballots (some voters vote twice, some
// challenge a ballot), the closing, decryption shares and the result, every
// entry hashed and chained as bulletin does and checkpoints signed with a
// board note key over the RFC 6962 tree.
//
// It also keeps every secret (board, official, trustee and voter keys), so
// that tamper tests can re-sign what a dishonest party would re-sign, and
// [Election.Rebuild] re-chains the entries and re-signs the checkpoints as
// a dishonest board could.
//
// Nothing here is used by the verifier itself.
package electiontest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/mixnet"
	"github.com/tabella-vote/tabella/mixnet/cascade"
	"github.com/tabella-vote/tabella/tally"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// Config says what election to build.
type Config struct {
	ElectionID string // default "demo-2026"
	BoardName  string // default "board.example"
	// Manifest is the manifest; its election_id is set to ElectionID.
	// Default: [SmallManifest].
	Manifest  *ballot.Manifest
	Trustees  int // n, default 5
	Threshold int // t, default 3
	Voters    int // roll size, default 20
	// Ballots is how many voters cast a ballot (the first ones on the
	// roll); default Voters − 2.
	Ballots int
	// Revotes: that many of the voters who cast a ballot cast a second one
	// later (it replaces the first). Spoils: that many voters challenge a
	// ballot (Benaloh) before casting.
	Revotes, Spoils int
	// Choices gives voter i's choices for its k-th ballot (k = 0, 1).
	// Default: [CycleChoices].
	Choices func(m *ballot.Manifest, voter, k int) ballot.Choices
	// CheckpointEvery signs a checkpoint every that many entries (as a
	// board does per append batch), default 16; the last entry always
	// gets one.
	CheckpointEvery int
	// Shares: how many qualified trustees post decryption shares (the
	// first ones), default all.
	Shares int
	// Mixers: how many qualified trustees (the first ones) take their turn
	// in the mix cascade of each ranked contest (e2e/SPEC.md §16), default
	// all; the others miss their turn. MixShares: how many post decryption
	// shares of the final lists, default the threshold.
	Mixers, MixShares int
	// NoMix leaves the ranked contests unmixed: no cascade entries.
	NoMix bool
}

// A Checkpoint is a signed note placed in the record after entry Size−1.
type Checkpoint struct {
	Size uint64
	Note []byte
}

// A Submission is an entry before the board numbers and chains it.
type Submission struct {
	Type      string
	Time      int64 // unix milliseconds
	Payload   []byte
	Signer    []byte
	Signature []byte
}

// Election is a built election with all its secrets.
type Election struct {
	ID        string
	BoardName string
	BoardKey  string // note verifier key
	BoardPriv ed25519.PrivateKey
	Official  ed25519.PrivateKey
	Trustees  []*trustee.Identity
	KeyShares []*ceremony.KeyShare // by trustee index − 1 (nil if not qualified)
	Creds     []*ballot.Credential
	Election  *ballot.Election
	Params    *ceremony.Params

	Subs        []Submission
	Entries     []*bulletin.Entry
	Checkpoints []Checkpoint
	// CheckpointSizes are the sizes at which checkpoints are signed.
	CheckpointSizes []uint64

	// Indexes of notable entries.
	OpenIndex, CloseIndex, ResultIndex, CeremonyResultIndex int
	// The mix cascades' entries (ranked contests only), in board order.
	MixIndexes, MixShareIndexes, MixResultIndexes []int
	// Rankings are the decrypted final lists, by ranked contest.
	Rankings       map[string][][]uint16
	BallotIndexes  []int // every ballot entry
	SpoiledIndexes []int
	ShareIndexes   []int
	Counted        map[int]bool // counted ballot entries
	Counts         []uint64
	// Aggregate is the homomorphic sum of the counted ballots, Turnout
	// their number.
	Aggregate []elgamal.Ciphertext
	Turnout   uint64
	signer    note.Signer
}

// SmallManifest is the three-contest manifest of ballot/testdata (one of n,
// approval, score).
func SmallManifest() *ballot.Manifest {
	return &ballot.Manifest{Version: ballot.Version, Title: "Demo election \u0026 referendum",
		Schedule: ballot.Schedule{Opens: "2026-11-01T08:00:00Z", Closes: "2026-11-01T20:00:00Z"},
		Contests: []ballot.Contest{
			{ID: "mayor", Title: "Mayor", Kind: ballot.OneOfN, Options: opts("alice", "bob", "carol"), MinSelections: 1, MaxSelections: 1},
			{ID: "council", Title: "City council", Kind: ballot.Approval, Options: opts("dan", "erin", "frank", "grace"), MaxSelections: 2},
			{ID: "parks", Title: "Rate the park projects", Kind: ballot.Score, Options: opts("north", "south"), MaxScore: 5, MaxTotal: 8},
		}}
}

// OneOfN returns a manifest of c one-of-n contests of o options each: W1 is
// OneOfN(1, 2), W2 is OneOfN(10, 5).
// RankedManifest is [SmallManifest] with a ranked contest ("budget", 4
// options, a ranking of up to 3, IRV) between its contests.
func RankedManifest() *ballot.Manifest {
	m := SmallManifest()
	r := ballot.Contest{ID: "budget", Title: "Budget priorities", Kind: ballot.Ranked,
		Options: opts("roads", "parks", "schools", "library"), MinSelections: 1, MaxSelections: 3, Method: ballot.IRV}
	m.Contests = []ballot.Contest{m.Contests[0], r, m.Contests[1], m.Contests[2]}
	return m
}

func OneOfN(c, o int) *ballot.Manifest {
	m := &ballot.Manifest{Version: ballot.Version, Title: fmt.Sprintf("%d contests of %d options", c, o),
		Schedule: ballot.Schedule{Opens: "2026-11-01T08:00:00Z", Closes: "2026-11-01T20:00:00Z"}}
	for i := range c {
		var names []string
		for j := range o {
			names = append(names, fmt.Sprintf("o%d", j))
		}
		m.Contests = append(m.Contests, ballot.Contest{ID: fmt.Sprintf("c%d", i), Title: fmt.Sprintf("Contest %d", i),
			Kind: ballot.OneOfN, Options: opts(names...), MinSelections: 1, MaxSelections: 1})
	}
	return m
}

func opts(ids ...string) []ballot.Option {
	var out []ballot.Option
	for _, id := range ids {
		out = append(out, ballot.Option{ID: id, Title: id})
	}
	return out
}

// CycleChoices gives valid choices that vary with the voter and ballot:
// one_of_n picks option (voter+k) mod options; approval approves the
// options (voter+k) and (voter+k+1) if the contest allows two, score gives
// small scores within the totals; ranked ranks 1 + s mod L options from
// option s mod options on.
func CycleChoices(m *ballot.Manifest, voter, k int) ballot.Choices {
	ch := ballot.Choices{}
	for ci, c := range m.Contests {
		n := len(c.Options)
		v := make([]uint64, n)
		s := voter + k + ci
		switch c.Kind {
		case ballot.Ranked:
			L := c.RankingLength()
			v = make([]uint64, L)
			for j := range max(int(c.MinSelections), 1+s%L) {
				v[j] = uint64((s+j)%n + 1)
			}
		case ballot.OneOfN:
			v[s%n] = 1
		case ballot.Approval:
			v[s%n] = 1
			if c.MaxSelections >= 2 && n > 1 {
				v[(s+1)%n] = 1
			}
		case ballot.Score:
			_, hi := c.SumRange()
			left := hi
			for j := range v {
				x := uint64((s + j) % int(c.MaxScore+1))
				x = min(x, left)
				v[j] = x
				left -= x
			}
		}
		ch[c.ID] = v
	}
	return ch
}

func (c *Config) defaults() {
	defer func() {
		if c.Mixers == 0 {
			c.Mixers = c.Trustees
		}
		if c.MixShares == 0 {
			c.MixShares = c.Threshold
		}
	}()
	if c.ElectionID == "" {
		c.ElectionID = "demo-2026"
	}
	if c.BoardName == "" {
		c.BoardName = "board.example"
	}
	if c.Manifest == nil {
		c.Manifest = SmallManifest()
	}
	if c.Trustees == 0 {
		c.Trustees = 5
	}
	if c.Threshold == 0 {
		c.Threshold = 3
	}
	if c.Voters == 0 {
		c.Voters = 20
	}
	if c.Ballots == 0 {
		c.Ballots = max(c.Voters-2, 1)
	}
	if c.Choices == nil {
		c.Choices = CycleChoices
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = 16
	}
	if c.Shares == 0 {
		c.Shares = c.Trustees
	}
}

// builder state
type builder struct {
	e     *Election
	clock time.Time
}

func (b *builder) now() int64 { return b.clock.UnixMilli() }

func (b *builder) tick(d time.Duration) { b.clock = b.clock.Add(d) }

func (b *builder) post(typ string, payload, signer, sig []byte) int {
	b.e.Subs = append(b.e.Subs, Submission{Type: typ, Time: b.now(), Payload: payload, Signer: signer, Signature: sig})
	return len(b.e.Subs) - 1
}

func (b *builder) official(typ string, payload []byte) int {
	signer, sig := record.Sign(record.Official, b.e.Official, b.e.ID, typ, payload)
	return b.post(typ, payload, signer, sig)
}

func (b *builder) board(typ string, payload []byte) int {
	signer, sig := record.Sign(record.Board, b.e.BoardPriv, b.e.ID, typ, payload)
	return b.post(typ, payload, signer, sig)
}

// TrusteeSigner returns the signer field of trustee id.
func TrusteeSigner(id *trustee.Identity) []byte {
	s := record.Signer{Kind: record.Trustee, Key: id.Public().SigningKey}
	return s.Bytes()
}

// VoterSigner returns the signer field of a voter credential.
func VoterSigner(c *ballot.Credential) []byte {
	s := record.Signer{Kind: record.Voter, Key: c.Public().Bytes()}
	return s.Bytes()
}

func mustJSON(v any) []byte {
	b, err := canon.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// NewBoardKey returns a fresh Ed25519 board key with its note signer and
// verifier key.
func NewBoardKey(name string) (ed25519.PrivateKey, note.Signer, string, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, "", err
	}
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return nil, nil, "", err
	}
	s, err := NoteSigner(name, priv)
	return priv, s, vkey, err
}

// NoteSigner returns the note signer of an Ed25519 key.
func NoteSigner(name string, priv ed25519.PrivateKey) (note.Signer, error) {
	return note.NewSigner(SignerKey(name, priv))
}

// SignerKey returns the note signer key ("PRIVATE+KEY+name+hash+…") of an
// Ed25519 key: what `tabella serve --board-key` reads.
func SignerKey(name string, priv ed25519.PrivateKey) string {
	pub := priv.Public().(ed25519.PublicKey)
	h := sha256.Sum256(append([]byte(name+"\n\x01"), pub...))
	return fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, binary.BigEndian.Uint32(h[:4]), base64.StdEncoding.EncodeToString(append([]byte{1}, priv.Seed()...)))
}

// Build builds a valid election record.
func Build(cfg Config) (*Election, error) {
	cfg.defaults()
	e := &Election{ID: cfg.ElectionID, BoardName: cfg.BoardName, Counted: map[int]bool{}}
	var err error
	e.BoardPriv, e.signer, e.BoardKey, err = NewBoardKey(cfg.BoardName)
	if err != nil {
		return nil, err
	}
	_, e.Official, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	for i := range cfg.Trustees {
		id, err := trustee.Generate(fmt.Sprintf("trustee %d", i+1))
		if err != nil {
			return nil, err
		}
		e.Trustees = append(e.Trustees, id)
	}
	e.Creds = make([]*ballot.Credential, cfg.Voters)
	parallel(cfg.Voters, func(i int) { e.Creds[i] = ballot.NewCredential() })

	m := *cfg.Manifest
	m.ElectionID = e.ID
	mbytes, err := m.Encode()
	if err != nil {
		return nil, err
	}
	opens, closes := m.Opens(), m.Closes()
	b := &builder{e: e, clock: opens.Add(-time.Hour)}

	// Setup and manifest.
	var pubs []trustee.Public
	for _, id := range e.Trustees {
		pubs = append(pubs, *id.Public())
	}
	setup := record.Setup{Version: record.Version, ElectionID: e.ID, Board: record.BoardInfo{Name: e.BoardName, Key: e.BoardKey},
		Officials: []record.Key32{record.Key32(e.Official.Public().(ed25519.PublicKey))}, Trustees: pubs, Threshold: cfg.Threshold}
	b.official(record.TypeSetup, mustJSON(&setup))
	b.tick(time.Second)
	b.official(record.TypeManifest, mbytes)
	b.tick(time.Second)

	// Roll.
	for chunk, lo := 0, 0; lo < cfg.Voters; chunk, lo = chunk+1, lo+record.MaxRollChunk {
		rv := record.RollVoters{Chunk: chunk}
		for _, c := range e.Creds[lo:min(lo+record.MaxRollChunk, cfg.Voters)] {
			rv.Credentials = append(rv.Credentials, c.Public())
		}
		b.official(record.TypeRollVoters, mustJSON(&rv))
		b.tick(time.Second)
	}
	var creds [][32]byte
	for _, c := range e.Creds {
		creds = append(creds, c.Public().Bytes())
	}
	seal := record.RollSeal{Count: uint64(cfg.Voters), Hash: record.Key32(record.RollHashKeys(e.ID, creds))}
	b.official(record.TypeRollSeal, mustJSON(&seal))
	b.tick(time.Second)

	// Ceremony.
	mh, err := m.Hash()
	if err != nil {
		return nil, err
	}
	e.Params, err = ceremony.NewParams(e.ID, mh, cfg.Threshold, time.Minute, pubs)
	if err != nil {
		return nil, err
	}
	b.official(record.TypeCeremony, e.Params.Marshal())
	start := b.clock
	paramsIndex := len(e.Subs) - 1
	st, err := b.ceremony(start, paramsIndex)
	if err != nil {
		return nil, err
	}
	e.CeremonyResultIndex = b.board(record.TypeCeremonyEnd, st.Result().Marshal())
	b.tick(time.Second)
	e.Election, err = ballot.NewElection(&m, st.JointKey, st.Hash)
	if err != nil {
		return nil, err
	}

	// Open, ballots, close.
	b.clock = opens
	e.OpenIndex = b.official(record.TypeOpen, mustJSON(&record.Phase{ElectionID: e.ID}))
	b.tick(time.Second)
	type cast struct {
		voter, k int
		spoil    bool
		payload  []byte
		vec      []elgamal.Ciphertext // the ballot's ciphertexts in layout order
		idx      int
	}
	layout := tally.LayoutOf(&m)
	var casts []cast
	for i := range cfg.Spoils {
		casts = append(casts, cast{voter: i % cfg.Voters, k: 1, spoil: true})
	}
	for i := range cfg.Ballots {
		casts = append(casts, cast{voter: i})
	}
	for i := range cfg.Revotes {
		casts = append(casts, cast{voter: i % cfg.Ballots, k: 1})
	}
	errs := make([]error, len(casts))
	parallel(len(casts), func(i int) {
		c := &casts[i]
		bal, op, err := ballot.Encrypt(e.Election, e.Creds[c.voter], cfg.Choices(&m, c.voter, c.k))
		if err != nil {
			errs[i] = err
			return
		}
		if c.spoil {
			s, err := ballot.Spoil(bal, op)
			if err == nil {
				c.payload, err = s.Encode()
			}
			errs[i] = err
			return
		}
		c.payload, errs[i] = bal.Encode()
		if errs[i] == nil {
			c.vec, errs[i] = layout.Vector(bal)
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	latest := map[int]int{}
	for ci := range casts {
		c := &casts[ci]
		typ := record.TypeBallot
		if c.spoil {
			typ = record.TypeSpoiled
		}
		idx := b.post(typ, c.payload, VoterSigner(e.Creds[c.voter]), nil)
		c.idx = idx
		if c.spoil {
			e.SpoiledIndexes = append(e.SpoiledIndexes, idx)
		} else {
			e.BallotIndexes = append(e.BallotIndexes, idx)
			latest[c.voter] = idx
		}
		b.tick(10 * time.Millisecond)
	}
	if !b.clock.Before(closes) {
		return nil, fmt.Errorf("electiontest: %d ballots do not fit in the schedule", len(casts))
	}
	b.clock = closes
	e.CloseIndex = b.official(record.TypeClose, mustJSON(&record.Phase{ElectionID: e.ID}))
	if len(rules.AwaitingMix(&m)) > 0 && !cfg.NoMix {
		var countedBallots []*bulletin.Entry
		for _, c := range casts {
			if !c.spoil && latest[c.voter] == c.idx {
				countedBallots = append(countedBallots, &bulletin.Entry{Index: uint64(c.idx), Type: record.TypeBallot, Payload: c.payload})
			}
		}
		if err := b.cascades(cfg, st, countedBallots); err != nil {
			return nil, err
		}
	}
	b.tick(time.Minute)

	// Tally.
	agg := make([]elgamal.Ciphertext, layout.Width())
	for k := range agg {
		agg[k] = elgamal.Zero()
	}
	counted := 0
	for _, c := range casts {
		if c.spoil {
			continue
		}
		idx := c.idx
		if latest[c.voter] != idx {
			continue
		}
		e.Counted[idx] = true
		counted++
		for k := range agg {
			agg[k] = agg[k].Add(c.vec[k])
		}
	}
	e.Aggregate, e.Turnout = agg, uint64(counted)
	var posted []ceremony.Posted
	if counted > 0 {
		n := 0
		for i, ks := range e.KeyShares {
			if ks == nil || n == cfg.Shares {
				continue
			}
			n++
			msg, err := tally.DecryptShares(e.Election.BaseHash, ks, agg, uint64(counted))
			if err != nil {
				return nil, err
			}
			payload := msg.Marshal()
			sig := e.Trustees[i].Sign(e.ID, tally.TypeDecryptionShare, payload)
			idx := b.post(tally.TypeDecryptionShare, payload, TrusteeSigner(e.Trustees[i]), sig[:])
			e.ShareIndexes = append(e.ShareIndexes, idx)
			posted = append(posted, ceremony.Posted{Index: uint64(idx), Type: tally.TypeDecryptionShare, Payload: payload, Signature: sig})
			b.tick(time.Second)
		}
	}
	d := &tally.Decryption{Election: e.ID, Base: e.Election.BaseHash, Aggregate: agg, Count: uint64(counted), Limits: layout.Limits(),
		Threshold: cfg.Threshold, Trustees: pubs, Keys: st.VerificationKeys}
	pt, err := tally.Combine(d, posted)
	if err != nil {
		return nil, err
	}
	e.Counts = pt.Counts
	res, err := layout.Result(e.Election.BaseHash, uint64(counted), pt)
	if err != nil {
		return nil, err
	}
	e.ResultIndex = b.board(tally.TypeResult, res.Marshal())

	// Checkpoint sizes.
	n := uint64(len(e.Subs))
	for s := uint64(cfg.CheckpointEvery); s < n; s += uint64(cfg.CheckpointEvery) {
		e.CheckpointSizes = append(e.CheckpointSizes, s)
	}
	e.CheckpointSizes = append(e.CheckpointSizes, n)
	if err := e.Rebuild(); err != nil {
		return nil, err
	}
	return e, nil
}

// cascades runs the mix cascade of every ranked contest (e2e/SPEC.md §16)
// right after the close: the first cfg.Mixers qualified trustees mix in
// turn, a second apart; the first cfg.MixShares qualified trustees post
// decryption shares of the final list; the board posts the plaintexts.
func (b *builder) cascades(cfg Config, st *ceremony.State, counted []*bulletin.Entry) error {
	e := b.e
	cc := &cascade.Config{Election: e.ID, Base: e.Election.BaseHash, Key: st.JointKey, Qualified: st.Qualified, Keys: st.VerificationKeys,
		Threshold: cfg.Threshold, Window: e.Params.Round(), Start: b.now()}
	e.Rankings = map[string][][]uint16{}
	for _, rc := range rules.RankedContests(e.Election.Manifest) {
		c := cascade.New(cc, rc)
		in, err := rules.MixInput(e.Election, rc.ID, counted)
		if err != nil {
			return err
		}
		if err := c.SetInput(in); err != nil {
			return err
		}
		for k, q := range st.Qualified {
			if len(in) == 0 || k == cfg.Mixers {
				break
			}
			b.tick(time.Second)
			l, h := c.Latest()
			stm, err := c.Statement(q)
			if err != nil {
				return err
			}
			out, proof, err := mixnet.Shuffle(stm, l)
			if err != nil {
				return err
			}
			mx, err := cascade.NewMix(e.ID, rc.ID, q, h, out, proof)
			if err != nil {
				return err
			}
			idx := b.trustee(q, record.TypeMix, mx.Marshal())
			commit, err := c.CheckMix(uint64(idx), b.now(), q, mx, false)
			if err != nil {
				return err
			}
			commit()
			e.MixIndexes = append(e.MixIndexes, idx)
		}
		if len(in) > 0 {
			if len(c.Mixes) < len(st.Qualified) {
				b.clock = time.UnixMilli(c.TurnAt(b.now()).Deadline + 1) // the others miss their turn
			}
			for k, q := range st.Qualified {
				if k == cfg.MixShares {
					break
				}
				b.tick(time.Second)
				sh, err := c.DecryptShares(e.KeyShares[q-1])
				if err != nil {
					return err
				}
				for !c.Over(b.now()) {
					b.tick(cc.Window)
				}
				idx := b.trustee(q, record.TypeMixShare, sh.Marshal())
				commit, err := c.CheckShares(uint64(idx), b.now(), q, sh, false)
				if err != nil {
					return err
				}
				commit()
				e.MixShareIndexes = append(e.MixShareIndexes, idx)
			}
		}
		r, err := c.ComputeResult()
		if err != nil {
			return err
		}
		b.tick(time.Second)
		e.MixResultIndexes = append(e.MixResultIndexes, b.board(record.TypeMixResult, r.Marshal()))
		e.Rankings[rc.ID] = r.Sequences
	}
	return nil
}

// trustee posts a message signed by trustee i.
func (b *builder) trustee(i int, typ string, payload []byte) int {
	id := b.e.Trustees[i-1]
	sig := id.Sign(b.e.ID, typ, payload)
	return b.post(typ, payload, TrusteeSigner(id), sig[:])
}

// ceremony runs the trustees' state machines over the record until the
// ceremony is over and keeps their key shares.
func (b *builder) ceremony(start time.Time, paramsIndex int) (*ceremony.State, error) {
	e := b.e
	ctx := context.Background()
	var ts []*ceremony.Trustee
	for _, id := range e.Trustees {
		t, err := ceremony.NewTrustee(id, e.Params, start)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	for range 100 {
		before := len(e.Subs)
		var st *ceremony.State
		for i, t := range ts {
			s, err := t.Step(ctx, &trusteeBoard{b: b, id: e.Trustees[i]})
			if err != nil {
				return nil, fmt.Errorf("electiontest: trustee %d: %w", i+1, err)
			}
			st = s
		}
		if st.Round == ceremony.RoundFinished {
			e.KeyShares = make([]*ceremony.KeyShare, len(ts))
			for i, t := range ts {
				if _, err := t.Step(ctx, &trusteeBoard{b: b, id: e.Trustees[i]}); err != nil {
					return nil, fmt.Errorf("electiontest: trustee %d: %w", i+1, err)
				}
				e.KeyShares[i] = t.KeyShare()
			}
			final := ceremony.Replay(e.Params, start, b.posted(paramsIndex+1), b.clock)
			if !final.Done() {
				return nil, fmt.Errorf("electiontest: ceremony failed: %v", final.Err)
			}
			return final, nil
		}
		if len(e.Subs) == before {
			b.tick(time.Minute)
		}
	}
	return nil, fmt.Errorf("electiontest: ceremony did not finish")
}

func (b *builder) posted(from int) []ceremony.Posted {
	var out []ceremony.Posted
	for i := from; i < len(b.e.Subs); i++ {
		s := b.e.Subs[i]
		p := ceremony.Posted{Index: uint64(i), Time: time.UnixMilli(s.Time), Type: s.Type, Payload: s.Payload}
		copy(p.Signature[:], s.Signature)
		out = append(out, p)
	}
	return out
}

// trusteeBoard is the ceremony.Board of one trustee over the record being
// built.
type trusteeBoard struct {
	b  *builder
	id *trustee.Identity
}

// Post appends a trustee's signed message as an entry, 100 ms after the
// previous one.
func (t *trusteeBoard) Post(ctx context.Context, typ string, payload []byte, sig [ceremony.SignatureSize]byte) error {
	t.b.tick(100 * time.Millisecond)
	t.b.post(typ, append([]byte(nil), payload...), TrusteeSigner(t.id), sig[:])
	return nil
}

// Read returns the entries from index from on and the builder's clock.
func (t *trusteeBoard) Read(ctx context.Context, from uint64) ([]ceremony.Posted, time.Time, error) {
	return t.b.posted(int(from)), t.b.clock, nil
}

// Rebuild numbers and chains e.Subs into e.Entries and signs a checkpoint
// at every size of e.CheckpointSizes that is at most the number of entries
// (and always one covering every entry), as a board that signs whatever it
// holds would.
func (e *Election) Rebuild() error {
	e.Entries = make([]*bulletin.Entry, len(e.Subs))
	var prev bulletin.Hash
	var tree bulletin.Tree
	e.Checkpoints = nil
	sizes := map[uint64]bool{uint64(len(e.Subs)): true}
	for _, s := range e.CheckpointSizes {
		sizes[s] = true
	}
	for i, s := range e.Subs {
		en := &bulletin.Entry{Index: uint64(i), Type: s.Type, Time: s.Time, Prev: prev,
			Payload: s.Payload, Signer: s.Signer, Signature: s.Signature}
		if en.Payload == nil {
			en.Payload = bulletin.Bytes{}
		}
		if en.Signer == nil {
			en.Signer = bulletin.Bytes{}
		}
		if en.Signature == nil {
			en.Signature = bulletin.Bytes{}
		}
		en.Hash = en.ComputeHash(e.ID)
		prev = en.Hash
		e.Entries[i] = en
		tree.Add(en.Hash)
		if sizes[tree.Size()] {
			n, err := e.SignCheckpoint(tree.Size(), tree.Root())
			if err != nil {
				return err
			}
			e.Checkpoints = append(e.Checkpoints, Checkpoint{Size: tree.Size(), Note: n})
		}
	}
	return nil
}

// SignCheckpoint signs the checkpoint of the given size and root with the
// board key.
func (e *Election) SignCheckpoint(size uint64, root bulletin.Hash) ([]byte, error) {
	return bulletin.SignCheckpoint(bulletin.Checkpoint{Origin: bulletin.Origin(e.BoardName, e.ID), Size: size, Root: root}, e.signer)
}

// Write writes the record file: the header, the entries, each checkpoint
// after the entries it covers.
func (e *Election) Write(w io.Writer) error {
	rw, err := record.NewWriter(w, record.Header{Election: e.ID, BoardKey: e.BoardKey})
	if err != nil {
		return err
	}
	cps := e.Checkpoints
	for _, en := range e.Entries {
		if err := rw.Entry(en); err != nil {
			return err
		}
		for len(cps) > 0 && cps[0].Size == en.Index+1 {
			if err := rw.Checkpoint(cps[0].Note); err != nil {
				return err
			}
			cps = cps[1:]
		}
	}
	for _, c := range cps { // checkpoints beyond the entries (tamper tests)
		if err := rw.Checkpoint(c.Note); err != nil {
			return err
		}
	}
	return rw.Flush()
}

// Bytes returns the record file.
func (e *Election) Bytes() []byte {
	var buf bytes.Buffer
	if err := e.Write(&buf); err != nil {
		panic("electiontest: " + err.Error())
	}
	return buf.Bytes()
}

// Clone returns a copy of e whose submissions can be changed without
// touching e (payload bytes are shared until replaced).
func (e *Election) Clone() *Election {
	c := *e
	c.Subs = append([]Submission(nil), e.Subs...)
	c.CheckpointSizes = append([]uint64(nil), e.CheckpointSizes...)
	c.Checkpoints = append([]Checkpoint(nil), e.Checkpoints...)
	c.Entries = append([]*bulletin.Entry(nil), e.Entries...)
	return &c
}

// ResignOfficial re-signs submission i as the official.
func (e *Election) ResignOfficial(i int) {
	s := &e.Subs[i]
	s.Signer, s.Signature = record.Sign(record.Official, e.Official, e.ID, s.Type, s.Payload)
}

// ResignBoard re-signs submission i as the board.
func (e *Election) ResignBoard(i int) {
	s := &e.Subs[i]
	s.Signer, s.Signature = record.Sign(record.Board, e.BoardPriv, e.ID, s.Type, s.Payload)
}

// ResignTrustee re-signs submission i as trustee k (1-based).
func (e *Election) ResignTrustee(i, k int) {
	s := &e.Subs[i]
	sig := e.Trustees[k-1].Sign(e.ID, s.Type, s.Payload)
	s.Signer, s.Signature = TrusteeSigner(e.Trustees[k-1]), sig[:]
}

// NoteSigner returns the board's checkpoint signer.
func (e *Election) NoteSigner() note.Signer { return e.signer }

// SetBoardKey replaces the board's key (checkpoints and board-action
// signatures made after it use the new key).
func (e *Election) SetBoardKey(priv ed25519.PrivateKey) {
	s, err := NoteSigner(e.BoardName, priv)
	if err != nil {
		panic("electiontest: " + err.Error())
	}
	e.BoardPriv, e.signer = priv, s
}

// Hex is a helper for tests: lowercase hex.
func Hex(b []byte) string { return hex.EncodeToString(b) }

func parallel(n int, f func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
