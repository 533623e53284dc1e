package record

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/tally/trustee"
)

func TestSignAndVerify(t *testing.T) {
	_, sk, _ := ed25519.GenerateKey(rand.Reader)
	payload := []byte(`{"election_id":"e1"}`)
	signer, sig := Sign(Official, sk, "e1", TypeOpen, payload)
	s, err := ParseSigner(signer)
	if err != nil || s.Kind != Official {
		t.Fatalf("ParseSigner: %v %v", s, err)
	}
	if err := VerifySignature(s, "e1", TypeOpen, payload, sig); err != nil {
		t.Fatalf("valid signature rejected: %v", err)
	}
	// Transplants: another election, another type, another payload, another
	// purpose (the board's), a flipped bit.
	cases := map[string]func() error{
		"other election": func() error { return VerifySignature(s, "e2", TypeOpen, payload, sig) },
		"other type":     func() error { return VerifySignature(s, "e1", TypeClose, payload, sig) },
		"other payload":  func() error { return VerifySignature(s, "e1", TypeOpen, []byte(`{"election_id":"e2"}`), sig) },
		"as board":       func() error { return VerifySignature(Signer{Kind: Board, Key: s.Key}, "e1", TypeOpen, payload, sig) },
		"flipped": func() error {
			bad := append([]byte(nil), sig...)
			bad[10] ^= 1
			return VerifySignature(s, "e1", TypeOpen, payload, bad)
		},
		"short": func() error { return VerifySignature(s, "e1", TypeOpen, payload, sig[:63]) },
	}
	for name, f := range cases {
		if err := f(); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: %v, want ErrSignature", name, err)
		}
	}
	if err := VerifySignature(Signer{Kind: Voter}, "e1", TypeBallot, payload, []byte{1}); !errors.Is(err, ErrSignature) {
		t.Errorf("voter entry with a signature: %v", err)
	}
}

func TestParseSigner(t *testing.T) {
	g := group.Generator().Bytes()
	if _, err := ParseSigner(append([]byte{byte(Voter)}, g[:]...)); err != nil {
		t.Errorf("voter signer rejected: %v", err)
	}
	id := group.Identity().Bytes()
	bad := [][]byte{
		nil,
		{byte(Official)},
		append([]byte{byte(Voter)}, id[:]...),
		append([]byte{0x07}, g[:]...),
		append(append([]byte{byte(Official)}, g[:]...), 0),
	}
	for _, b := range bad {
		if _, err := ParseSigner(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseSigner(%x) = %v, want ErrMalformed", b, err)
		}
	}
}

func testSetup(t *testing.T) *Setup {
	t.Helper()
	var off Key32
	copy(off[:], make([]byte, 32))
	off[0] = 1
	var trs []trustee.Public
	for i := 0; i < 3; i++ {
		trs = append(trs, newTrustee(t))
	}
	return &Setup{Version: Version, ElectionID: "e1", Board: BoardInfo{Name: "b", Key: "b+1234+AAAA"}, Officials: []Key32{off}, Trustees: trs, Threshold: 2}
}

func TestSetupChecks(t *testing.T) {
	s := testSetup(t)
	data, _ := canon.Marshal(s)
	if _, err := DecodeSetup(data); err != nil {
		t.Fatalf("valid setup rejected: %v", err)
	}
	bad := map[string]func(s *Setup){
		"threshold 0":        func(s *Setup) { s.Threshold = 0 },
		"threshold > n":      func(s *Setup) { s.Threshold = 4 },
		"no officials":       func(s *Setup) { s.Officials = nil },
		"duplicate official": func(s *Setup) { s.Officials = append(s.Officials, s.Officials[0]) },
		"duplicate trustee":  func(s *Setup) { s.Trustees[1].SigningKey = s.Trustees[0].SigningKey },
		"version":            func(s *Setup) { s.Version = "v0" },
		"no board key":       func(s *Setup) { s.Board.Key = "" },
	}
	for name, mut := range bad {
		s := testSetup(t)
		mut(s)
		data, _ := canon.Marshal(s)
		if _, err := DecodeSetup(data); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	if !s.IsOfficial(s.Officials[0]) || s.TrusteeIndex(s.Trustees[2].SigningKey) != 3 || s.TrusteeIndex([32]byte{9}) != 0 {
		t.Error("lookups")
	}
}

func TestRollHash(t *testing.T) {
	a, b := group.BaseMul(group.RandomScalar()), group.BaseMul(group.RandomScalar())
	h1 := RollHash("e1", []*group.Point{a, b})
	if h1 == RollHash("e1", []*group.Point{b, a}) || h1 == RollHash("e2", []*group.Point{a, b}) || h1 == RollHash("e1", []*group.Point{a}) {
		t.Error("roll hash ignores order, election or count")
	}
	if h1 != RollHash("e1", []*group.Point{a, b}) {
		t.Error("roll hash not deterministic")
	}
	data, _ := canon.Marshal(&RollVoters{Chunk: 0, Credentials: []*group.Point{a, b}})
	if _, err := DecodeRollVoters(data); err != nil {
		t.Fatalf("roll chunk rejected: %v", err)
	}
	data, _ = canon.Marshal(&RollVoters{Chunk: 0, Credentials: []*group.Point{a, group.Identity()}})
	if _, err := DecodeRollVoters(data); !errors.Is(err, ErrMalformed) {
		t.Errorf("identity credential accepted: %v", err)
	}
}

func FuzzDecoders(f *testing.F) {
	s, _ := canon.Marshal(testSetupF())
	f.Add(s)
	f.Add([]byte(`{"chunk":0,"credentials":["e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"]}`))
	f.Add([]byte(`{"count":1,"hash":"e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"}`))
	f.Add([]byte(`{"election_id":"e1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, err := DecodeSetup(data); err == nil {
			if s.Check() != nil {
				t.Fatal("decoded setup fails its own check")
			}
		}
		if r, err := DecodeRollVoters(data); err == nil {
			out, _ := canon.Marshal(r)
			if string(out) != string(data) {
				t.Fatal("roll chunk not canonical")
			}
		}
		DecodeRollSeal(data)
		DecodePhase(data, "e1")
		ParseSigner(data)
	})
}

func testSetupF() *Setup {
	var off Key32
	off[0] = 1
	return &Setup{Version: Version, ElectionID: "e1", Board: BoardInfo{Name: "b", Key: "k"}, Officials: []Key32{off},
		Trustees: []trustee.Public{newTrustee(nil)}, Threshold: 1}
}

func newTrustee(t testing.TB) trustee.Public {
	id, err := trustee.Generate("trustee")
	if err != nil {
		panic(err)
	}
	return *id.Public()
}
