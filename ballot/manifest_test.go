package ballot

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/ballot/group"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// oneOfN returns a manifest of contests one_of_n contests of options options
// each, exactly one selection required. W1 is oneOfN(1, 2), W2 oneOfN(10, 5).
func oneOfN(contests, options int) *Manifest {
	m := &Manifest{
		Version:    Version,
		ElectionID: fmt.Sprintf("w-%d-%d", contests, options),
		Title:      "Benchmark workload",
		Schedule:   Schedule{Opens: "2026-01-01T00:00:00Z", Closes: "2026-01-02T00:00:00Z"},
	}
	for i := 0; i < contests; i++ {
		c := Contest{ID: fmt.Sprintf("c%d", i), Title: fmt.Sprintf("Contest %d", i), Kind: OneOfN, MinSelections: 1, MaxSelections: 1}
		for j := 0; j < options; j++ {
			c.Options = append(c.Options, Option{ID: fmt.Sprintf("o%d", j), Title: fmt.Sprintf("Option %d", j)})
		}
		m.Contests = append(m.Contests, c)
	}
	return m
}

func TestManifestTestdata(t *testing.T) {
	data := readTestdata(t, "manifest.json")
	m, err := DecodeManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Encode()
	if err != nil || !bytes.Equal(out, data) {
		t.Fatalf("re-encoding differs: %v\n%s", err, out)
	}
	h, err := m.Hash()
	if err != nil {
		t.Fatal(err)
	}
	if h != taggedHash(tagManifest, data) {
		t.Fatal("manifest hash is not the tagged hash of the stored bytes")
	}
	if got := m.Contest("parks"); got == nil || got.Kind != Score {
		t.Fatalf("Contest(parks) = %v", got)
	}
	if lo, hi := m.Contest("parks").SumRange(); lo != 0 || hi != 8 {
		t.Errorf("parks sum range [%d, %d]", lo, hi)
	}
	if lo, hi := m.Contest("council").SumRange(); lo != 0 || hi != 2 {
		t.Errorf("council sum range [%d, %d]", lo, hi)
	}
	if !m.Opens().Before(m.Closes()) || m.Opens().Hour() != 8 {
		t.Errorf("schedule %v %v", m.Opens(), m.Closes())
	}
}

// TestTaggedHashVector pins the tagged hash construction of e2e/SPEC.md §6.3
// against an independent computation.
func TestTaggedHashVector(t *testing.T) {
	// u32be(3) "tag" u64be(1) "a" u64be(0)
	got := taggedHash("tag", []byte("a"), nil)
	want := sha256Hex("00000003" + hex.EncodeToString([]byte("tag")) + "0000000000000001" + "61" + "0000000000000000")
	if hex.EncodeToString(got[:]) != want {
		t.Fatalf("taggedHash = %x, want %s", got, want)
	}
	if taggedHash("tag", []byte("ab")) == taggedHash("tag", []byte("a"), []byte("b")) {
		t.Fatal("field boundaries not bound")
	}
}

func TestBaseHashBindsEachInput(t *testing.T) {
	var mh, ch [32]byte
	k := group.BaseMul(group.NewScalar(7))
	base := BaseHash(mh, k, ch)
	mh2 := mh
	mh2[0] = 1
	ch2 := ch
	ch2[31] = 1
	for name, other := range map[string][32]byte{
		"manifest": BaseHash(mh2, k, ch),
		"key":      BaseHash(mh, group.BaseMul(group.NewScalar(8)), ch),
		"ceremony": BaseHash(mh, k, ch2),
	} {
		if other == base {
			t.Errorf("base hash does not bind the %s", name)
		}
	}
	m := oneOfN(1, 2)
	e, err := NewElection(m, k, ch)
	if err != nil {
		t.Fatal(err)
	}
	mhash, _ := m.Hash()
	if e.BaseHash != BaseHash(mhash, k, ch) {
		t.Fatal("NewElection base hash")
	}
	if _, err := NewElection(m, group.Identity(), ch); !errors.Is(err, group.ErrIdentity) {
		t.Fatalf("identity joint key: %v", err)
	}
}

func TestManifestValidation(t *testing.T) {
	good := func() *Manifest {
		m, err := DecodeManifest(readTestdata(t, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	ranked := good()
	ranked.Contests = append(ranked.Contests, Contest{ID: "budget", Title: "Budget", Kind: Ranked,
		Options: []Option{{ID: "a", Title: "A"}, {ID: "b", Title: "B"}, {ID: "c", Title: "C"}}, MinSelections: 1, MaxSelections: 3, Method: IRV})
	if err := ranked.Validate(); err != nil {
		t.Fatalf("ranked contest rejected: %v", err)
	}
	for _, c := range []Contest{
		{ID: "r", Title: "R", Kind: Ranked, Options: rankedOptions(2), MaxSelections: 1, Method: Schulze},
		{ID: "r", Title: "R", Kind: Ranked, Options: rankedOptions(MaxRankedOptions), MaxSelections: MaxRankedOptions, Method: IRV},
		{ID: "r", Title: "R", Kind: Ranked, Options: rankedOptions(5), MaxSelections: 3, Method: STV, Seats: 4},
		{ID: "r", Title: "R", Kind: Ranked, Options: rankedOptions(5), MaxSelections: 5, Method: STV, Seats: 1},
	} {
		m := good()
		m.Contests = append(m.Contests, c)
		if err := m.Validate(); err != nil {
			t.Errorf("valid ranked contest (%d options, %s, %d seats) rejected: %v", len(c.Options), c.Method, c.Seats, err)
		}
	}
	rk := func(n int, l uint64, method Method, seats uint64) func(m *Manifest) {
		return func(m *Manifest) {
			m.Contests[0] = Contest{ID: "r", Title: "R", Kind: Ranked, Options: rankedOptions(n), MaxSelections: l, Method: method, Seats: seats}
		}
	}
	cases := []struct {
		name   string
		mutate func(m *Manifest)
		want   string // substring of the error
	}{
		{"version", func(m *Manifest) { m.Version = "tabella/v2" }, "version"},
		{"election id upper", func(m *Manifest) { m.ElectionID = "Demo" }, "election_id"},
		{"election id hyphen first", func(m *Manifest) { m.ElectionID = "-demo" }, "election_id"},
		{"election id long", func(m *Manifest) { m.ElectionID = strings.Repeat("a", 65) }, "election_id"},
		{"empty title", func(m *Manifest) { m.Title = "" }, "title"},
		{"control in title", func(m *Manifest) { m.Title = "a\nb" }, "control"},
		{"bad utf8", func(m *Manifest) { m.Title = "\xff" }, "UTF-8"},
		{"long title", func(m *Manifest) { m.Title = strings.Repeat("x", MaxTitleLength+1) }, "title"},
		{"time offset", func(m *Manifest) { m.Schedule.Opens = "2026-11-01T08:00:00+01:00" }, "schedule.opens"},
		{"time fraction", func(m *Manifest) { m.Schedule.Closes = "2026-11-01T20:00:00.5Z" }, "schedule.closes"},
		{"opens after closes", func(m *Manifest) { m.Schedule.Opens, m.Schedule.Closes = m.Schedule.Closes, m.Schedule.Opens }, "not before"},
		{"opens equals closes", func(m *Manifest) { m.Schedule.Opens = m.Schedule.Closes }, "not before"},
		{"no contests", func(m *Manifest) { m.Contests = nil }, "no contests"},
		{"too many contests", func(m *Manifest) {
			for i := 0; len(m.Contests) <= MaxContests; i++ {
				c := m.Contests[0]
				c.ID = fmt.Sprintf("x%d", i)
				m.Contests = append(m.Contests, c)
			}
		}, "contests, at most"},
		{"duplicate contest", func(m *Manifest) { m.Contests[1].ID = "mayor" }, `duplicate contest id "mayor"`},
		{"duplicate option", func(m *Manifest) { m.Contests[0].Options[2].ID = "alice" }, `contest 0 ("mayor"): option 2: duplicate option id "alice"`},
		{"empty contest", func(m *Manifest) { m.Contests[1].Options = nil }, `contest 1 ("council"): no options`},
		{"too many options", func(m *Manifest) {
			for i := 0; len(m.Contests[1].Options) <= MaxOptions; i++ {
				m.Contests[1].Options = append(m.Contests[1].Options, Option{ID: fmt.Sprintf("p%d", i), Title: "P"})
			}
		}, "options, at most"},
		{"bad option id", func(m *Manifest) { m.Contests[0].Options[1].ID = "b b" }, "option 1: id"},
		{"unknown kind", func(m *Manifest) { m.Contests[0].Kind = "borda" }, `unknown kind "borda"`},
		{"one_of_n max 2", func(m *Manifest) { m.Contests[0].MaxSelections = 2 }, "max_selections is 2, must be 1"},
		{"one_of_n single option", func(m *Manifest) { m.Contests[0].Options = m.Contests[0].Options[:1] }, "at least 2 options"},
		{"one_of_n with score", func(m *Manifest) { m.Contests[0].MaxScore = 3 }, "only to score"},
		{"approval min > max", func(m *Manifest) { m.Contests[1].MinSelections = 3 }, "min_selections 3 > max_selections 2"},
		{"approval max > options", func(m *Manifest) { m.Contests[1].MaxSelections = 5 }, "max_selections 5 > number of options 4"},
		{"approval max 0", func(m *Manifest) { m.Contests[1].MaxSelections = 0 }, "at least 1"},
		{"score no max", func(m *Manifest) { m.Contests[2].MaxScore = 0 }, "max_score must be at least 1"},
		{"score max too big", func(m *Manifest) { m.Contests[2].MaxScore = 1024 }, "max_score 1024"},
		{"score total above full", func(m *Manifest) { m.Contests[2].MaxTotal = 11 }, "max_total 11 > options × max_score = 10"},
		{"score min > max", func(m *Manifest) { m.Contests[2].MinTotal = 9 }, "min_total 9 > max_total 8"},
		{"score with selections", func(m *Manifest) { m.Contests[2].MaxSelections = 1 }, "do not apply"},
		{"score range too wide", func(m *Manifest) {
			c := &m.Contests[2]
			c.MaxScore, c.MaxTotal = 1000, 0
			for i := 0; i < 3; i++ {
				c.Options = append(c.Options, Option{ID: fmt.Sprintf("p%d", i), Title: "P"})
			}
		}, "wider than 1024"},
		{"ranked min > max", func(m *Manifest) {
			m.Contests[0] = Contest{ID: "r", Title: "R", Kind: Ranked, Options: []Option{{ID: "a", Title: "A"}, {ID: "b", Title: "B"}}, MinSelections: 2, MaxSelections: 1, Method: IRV}
		}, "min_selections 2 > max_selections 1"},
		{"ranked 1 option", rk(1, 1, IRV, 0), `contest 0 ("r"): ranked: options: 1 options, want 2..50`},
		{"ranked 51 options", rk(51, 3, IRV, 0), `contest 0 ("r"): ranked: options: 51 options, want 2..50`},
		{"ranked 65 options", rk(65, 3, IRV, 0), "options, at most 64"},
		{"ranked unknown method", rk(3, 3, "borda", 0), `ranked: method: unknown method "borda"`},
		{"ranked no method", rk(3, 3, "", 0), "ranked: method: missing"},
		{"ranked method case", rk(3, 3, "IRV", 0), `unknown method "IRV"`},
		{"stv no seats", rk(3, 3, STV, 0), "ranked: seats: 0, want 1 ≤ seats < options (3)"},
		{"stv seats = options", rk(3, 3, STV, 3), "ranked: seats: 3, want 1 ≤ seats < options (3)"},
		{"stv seats > options", rk(3, 3, STV, 7), "ranked: seats: 7, want 1 ≤ seats < options (3)"},
		{"irv with seats", rk(3, 3, IRV, 1), `ranked: seats: 1, but seats apply only to method "stv"`},
		{"schulze with seats", rk(3, 3, Schulze, 2), `ranked: seats: 2, but seats apply only to method "stv"`},
		{"ranked length 0", rk(3, 0, IRV, 0), "ranked: max_selections (ranking length): 0, want 1..3"},
		{"ranked length > options", rk(3, 4, IRV, 0), "ranked: max_selections (ranking length): 4, want 1..3"},
		{"ranked with score", func(m *Manifest) {
			rk(3, 3, IRV, 0)(m)
			m.Contests[0].MaxScore = 2
		}, "ranked: max_score, min_total and max_total apply only to score"},
		{"method on one_of_n", func(m *Manifest) { m.Contests[0].Method = IRV }, "one_of_n: method and seats apply only to ranked contests"},
		{"seats on approval", func(m *Manifest) { m.Contests[1].Seats = 1 }, "approval: method and seats apply only to ranked contests"},
		{"ranked too many branches", func(m *Manifest) {
			m.Contests = nil
			for i := 0; i < 7; i++ { // 7 × 50 × 51 > 16384
				m.Contests = append(m.Contests, Contest{ID: fmt.Sprintf("r%d", i), Title: "R", Kind: Ranked,
					Options: rankedOptions(50), MaxSelections: 50, Method: IRV})
			}
		}, "branches"},
		{"too many branches", func(m *Manifest) {
			m.Contests = nil
			for i := 0; i < 40; i++ {
				c := Contest{ID: fmt.Sprintf("s%d", i), Title: "S", Kind: Score, MaxScore: 500}
				c.Options = []Option{{ID: "a", Title: "A"}}
				m.Contests = append(m.Contests, c)
			}
		}, "branches"},
	}
	for _, tc := range cases {
		m := good()
		tc.mutate(m)
		err := m.Validate()
		if !errors.Is(err, ErrInvalidManifest) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want ErrInvalidManifest containing %q", tc.name, err, tc.want)
			continue
		}
		// The encoding of an invalid manifest must not decode either.
		if b, err := m.Encode(); err == nil {
			if _, err := DecodeManifest(b); err == nil {
				t.Errorf("%s: DecodeManifest accepted it", tc.name)
			}
		}
	}
}

// rankedOptions returns n options o1..on.
func rankedOptions(n int) []Option {
	o := make([]Option, n)
	for i := range o {
		o[i] = Option{ID: fmt.Sprintf("o%d", i+1), Title: fmt.Sprintf("Option %d", i+1)}
	}
	return o
}

func TestDecodeManifestStrict(t *testing.T) {
	data := string(readTestdata(t, "manifest.json"))
	bad := map[string]string{
		"unknown field":  strings.Replace(data, `"title":"Mayor"`, `"title":"Mayor","color":"red"`, 1),
		"whitespace":     strings.Replace(data, `"title":"Mayor"`, `"title": "Mayor"`, 1),
		"field order":    strings.Replace(data, `"min_selections":1,"max_selections":1`, `"max_selections":1,"min_selections":1`, 1),
		"explicit zero":  strings.Replace(data, `"max_selections":2`, `"min_selections":0,"max_selections":2`, 1),
		"negative":       strings.Replace(data, `"max_selections":2`, `"max_selections":-2`, 1),
		"float":          strings.Replace(data, `"max_selections":2`, `"max_selections":2.0`, 1),
		"huge":           strings.Replace(data, `"max_score":5`, `"max_score":18446744073709551617`, 1),
		"truncated":      data[:len(data)-1],
		"trailing":       data + "\n",
		"null contests":  strings.Replace(data, `"contests":[`, `"contests":null,"x":[`, 1),
		"escaped &":      strings.Replace(data, `\u0026`, `&`, 1),
		"duplicate keys": strings.Replace(data, `"title":"Mayor"`, `"title":"Mayor","title":"Mayor"`, 1),
		"empty":          "",
		"array":          "[]",
	}
	for name, in := range bad {
		if m, err := DecodeManifest([]byte(in)); err == nil || m != nil || !errors.Is(err, ErrInvalidManifest) {
			t.Errorf("%s: got %v, %v", name, m, err)
		}
	}
	big := bytes.Repeat([]byte(" "), MaxManifestSize+1)
	if _, err := DecodeManifest(big); err == nil {
		t.Error("oversized manifest accepted")
	}
}

func FuzzDecodeManifest(f *testing.F) {
	f.Add(readTestdata(f, "manifest.json"))
	b, _ := oneOfN(2, 3).Encode()
	f.Add(b)
	f.Add(readTestdata(f, "ranked-manifest.json"))
	f.Add(readTestdata(f, "manifest-titles.json"))
	titled := string(readTestdata(f, "manifest-titles.json"))
	for _, in := range titlesMustFail(titled) {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := DecodeManifest(in)
		if err != nil {
			if m != nil {
				t.Fatal("error with non-nil manifest")
			}
			return
		}
		out, err := m.Encode()
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("accepted non-canonical manifest %q", in)
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("decoded manifest does not validate: %v", err)
		}
	})
}

// TestManifestTitles: the localised titles vector (e2e/SPEC.md §6.1, §6.3)
// decodes, re-encodes to the same bytes, hashes to the stored vector
// (computed independently of this package), and falls back to the default
// title for a language it lacks; removing every titles map gives back
// testdata/manifest.json, whose hash is the §6.3 vector unchanged.
func TestManifestTitles(t *testing.T) {
	data := readTestdata(t, "manifest-titles.json")
	m, err := DecodeManifest(data)
	require.NoError(t, err)
	out, err := m.Encode()
	require.NoError(t, err)
	require.Equal(t, string(data), string(out))
	h, err := m.Hash()
	require.NoError(t, err)
	want := strings.TrimSpace(string(readTestdata(t, "manifest-titles.txt")))
	require.Equal(t, want, "manifest_hash "+hex.EncodeToString(h[:]))

	assert.Equal(t, "Élection de démonstration et référendum", m.TitleIn("fr"))
	assert.Equal(t, "Demo election & referendum", m.TitleIn("es"), "no Spanish election title: the default")
	mayor := m.Contest("mayor")
	assert.Equal(t, "Sindaco", mayor.TitleIn("it"))
	assert.Equal(t, "Mayor", mayor.TitleIn("en"))
	assert.Equal(t, "Alice", mayor.Options[0].TitleIn("fr"), "an option without titles")
	assert.Equal(t, "Südpark", m.Contest("parks").Options[1].TitleIn("de"))

	m.Titles = nil
	for i := range m.Contests {
		m.Contests[i].Titles = nil
		for j := range m.Contests[i].Options {
			m.Contests[i].Options[j].Titles = nil
		}
	}
	plain, err := m.Encode()
	require.NoError(t, err)
	require.Equal(t, string(readTestdata(t, "manifest.json")), string(plain))
	ph, err := m.Hash()
	require.NoError(t, err)
	assert.Equal(t, "7209e1abe4d3e04799a6485c6e56c2e72610fe8c342b0afc62345ee64d675469", hex.EncodeToString(ph[:]))
	assert.NotEqual(t, h, ph, "titles are hashed")
}

// titlesMustFail returns manifests derived from the titles vector that
// SPEC §6.1-6.2 reject, by name.
func titlesMustFail(data string) map[string]string {
	rep := func(old, new string) string {
		if !strings.Contains(data, old) {
			panic("titlesMustFail: " + old)
		}
		return strings.Replace(data, old, new, 1)
	}
	many := make([]string, 0, MaxTitleLanguages+1)
	for i := 0; i <= MaxTitleLanguages; i++ {
		many = append(many, fmt.Sprintf(`"a%c":"T"`, 'a'+i))
	}
	return map[string]string{
		"uppercase tag":       rep(`"fr":"Maire"`, `"fR":"Maire"`),
		"region subtag":       rep(`"fr":"Maire"`, `"fr-ca":"Maire"`),
		"one-letter tag":      rep(`"fr":"Maire"`, `"f":"Maire"`),
		"four-letter tag":     rep(`"fr":"Maire"`, `"fran":"Maire"`),
		"empty tag":           rep(`"de":"Bürgermeister"`, `"":"Bürgermeister"`),
		"empty title":         rep(`"fr":"Maire"`, `"fr":""`),
		"control character":   rep(`"fr":"Maire"`, `"fr":"Mai\u0007re"`),
		"long title":          rep(`"fr":"Maire"`, `"fr":"`+strings.Repeat("é", 129)+`"`),
		"unsorted tags":       rep(`"de":"Stadtrat","fr":"Conseil municipal"`, `"fr":"Conseil municipal","de":"Stadtrat"`),
		"duplicate tag":       rep(`"de":"Stadtrat","fr":"Conseil municipal"`, `"de":"Stadtrat","de":"Stadtrat","fr":"Conseil municipal"`),
		"empty titles":        rep(`"titles":{"fr":"Notez les projets de parcs"}`, `"titles":{}`),
		"null titles":         rep(`"titles":{"fr":"Notez les projets de parcs"}`, `"titles":null`),
		"titles as array":     rep(`"titles":{"fr":"Notez les projets de parcs"}`, `"titles":["fr"]`),
		"title not a string":  rep(`"fr":"Maire"`, `"fr":{"text":"Maire"}`),
		"titles before title": rep(`"title":"Mayor","titles":{"de":"Bürgermeister","es":"Alcalde","fr":"Maire","it":"Sindaco"}`, `"titles":{"de":"Bürgermeister","es":"Alcalde","fr":"Maire","it":"Sindaco"},"title":"Mayor"`),
		"titles after kind":   rep(`"titles":{"fr":"Notez les projets de parcs"},"kind":"score"`, `"kind":"score","titles":{"fr":"Notez les projets de parcs"}`),
		"unknown field":       rep(`"titles":{"de":"Stadtrat"`, `"subtitles":{"de":"x"},"titles":{"de":"Stadtrat"`),
		"escaped tag":         rep(`"fr":"Maire"`, `"\u0066r":"Maire"`),
		"too many languages":  rep(`"titles":{"fr":"Notez les projets de parcs"}`, `"titles":{`+strings.Join(many, ",")+`}`),
	}
}

func TestManifestTitlesMustFail(t *testing.T) {
	data := string(readTestdata(t, "manifest-titles.json"))
	for name, in := range titlesMustFail(data) {
		m, err := DecodeManifest([]byte(in))
		assert.Error(t, err, name)
		assert.Nil(t, m, name)
		assert.ErrorIs(t, err, ErrInvalidManifest, name)
	}
	// The error names where and what.
	_, err := DecodeManifest([]byte(strings.Replace(data, `"fr":"Maire"`, `"fR":"Maire"`, 1)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `contest 0 ("mayor"): titles: language tag "fR"`)
	_, err = DecodeManifest([]byte(strings.Replace(data, `"fr":"Parc sud"`, `"fr":"Parc\u0007sud"`, 1)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `option 1 ("south"): titles: fr: contains control character`)
	// Exactly MaxTitleLanguages languages are accepted.
	ok := &Manifest{}
	require.NoError(t, json.Unmarshal([]byte(data), ok))
	ok.Titles = Titles{}
	for i := 0; i < MaxTitleLanguages; i++ {
		ok.Titles[fmt.Sprintf("a%c", 'a'+i)] = "T"
	}
	require.NoError(t, ok.Validate())
	ok.Titles["zz"] = "T"
	require.Error(t, ok.Validate())
	ok.Titles = Titles{}
	require.ErrorContains(t, ok.Validate(), "titles: empty")
}
