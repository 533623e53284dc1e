package web

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// languages are the catalogues the pages ship (common.js LANGS).
var languages = []string{"en", "fr", "de", "es", "it"}

// pluralForms are the CLDR plural categories a plural text may use.
var pluralForms = map[string]bool{"zero": true, "one": true, "two": true, "few": true, "many": true, "other": true}

// message is one catalogue value: a text, or plural forms of it.
type message struct {
	text   string
	plural map[string]string
}

func (m message) forms() []string {
	if m.plural == nil {
		return []string{m.text}
	}
	return slices.Collect(maps.Values(m.plural))
}

// readCatalogue decodes assets/i18n-<lang>.json strictly: an object of
// unique keys whose values are non-empty strings or plural objects with
// known categories, "other" among them.
func readCatalogue(t *testing.T, lang string) map[string]message {
	t.Helper()
	return readCatalogueFile(t, "i18n", lang)
}

// readCatalogueFile reads assets/<name>-<lang>.json (name "i18n", or a
// page's own catalogue such as "admin-i18n").
func readCatalogueFile(t *testing.T, name, lang string) map[string]message {
	t.Helper()
	data, err := fs.ReadFile(assets, "assets/"+name+"-"+lang+".json")
	require.NoError(t, err, "catalogue %s", lang)
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok, "catalogue %s: not an object", lang)
	out := map[string]message{}
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(t, err, "catalogue %s", lang)
		key := tok.(string)
		_, dup := out[key]
		require.False(t, dup, "catalogue %s: key %q twice", lang, key)
		var raw json.RawMessage
		require.NoError(t, dec.Decode(&raw), "catalogue %s: %s", lang, key)
		var m message
		if err := json.Unmarshal(raw, &m.text); err != nil {
			require.NoError(t, json.Unmarshal(raw, &m.plural), "catalogue %s: %s is neither a text nor plural forms", lang, key)
			require.Contains(t, m.plural, "other", "catalogue %s: %s has no \"other\" form", lang, key)
			for f := range m.plural {
				require.True(t, pluralForms[f], "catalogue %s: %s has an unknown plural form %q", lang, key, f)
			}
		}
		for _, f := range m.forms() {
			require.NotEmpty(t, strings.TrimSpace(f), "catalogue %s: %s is blank", lang, key)
		}
		out[key] = m
	}
	_, err = dec.Token()
	require.NoError(t, err)
	_, err = dec.Token()
	require.Error(t, err, "catalogue %s: trailing data", lang)
	return out
}

var placeholder = regexp.MustCompile(`\{([a-z0-9_]+)\}`)

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	slices.Sort(out)
	return out
}

// TestCatalogues: every catalogue has every key of English and no other,
// each text uses the placeholders of its English text, and plural texts
// give at least the "one" and "other" forms.
func TestCatalogues(t *testing.T) { checkCatalogues(t, "i18n") }

// checkCatalogues checks the catalogues assets/<name>-<lang>.json.
func checkCatalogues(t *testing.T, name string) {
	en := readCatalogueFile(t, name, "en")
	require.NotEmpty(t, en)
	for _, lang := range languages {
		t.Run(lang, func(t *testing.T) {
			cat := readCatalogueFile(t, name, lang)
			for key, want := range en {
				got, ok := cat[key]
				if !assert.True(t, ok, "%s lacks %q (English: %q)", lang, key, want.forms()) {
					continue
				}
				wantOther := want.text
				if want.plural != nil {
					wantOther = want.plural["other"]
					if assert.NotNil(t, got.plural, "%s: %q is plural in English", lang, key) {
						assert.Contains(t, got.plural, "one", "%s: %q has no \"one\" form", lang, key)
					}
				}
				gotOther := got.text
				if got.plural != nil {
					gotOther = got.plural["other"]
					assert.Contains(t, placeholders(wantOther), "n", "%s: %q is plural but English has no {n}", lang, key)
				}
				assert.Equal(t, placeholders(wantOther), placeholders(gotOther), "%s: placeholders of %q", lang, key)
				for _, f := range got.forms() {
					for _, p := range placeholders(f) {
						assert.Contains(t, placeholders(wantOther), p, "%s: %q uses {%s}, unknown in English", lang, key, p)
					}
				}
			}
			for key := range cat {
				assert.Contains(t, en, key, "%s has %q, which English has not", lang, key)
			}
		})
	}
}

// usedKeys returns every catalogue key the pages name: data-i18n
// attributes in the HTML, key literals in the scripts, and the keys the
// scripts build from the lists they hold (error codes, phases, entry
// types).
func usedKeys(t *testing.T) map[string]string {
	t.Helper()
	used := map[string]string{}
	files, err := fs.Glob(assets, "assets/*")
	require.NoError(t, err)
	attr := regexp.MustCompile(`data-i18n(?:-[a-z-]+)?="([^"]+)"`)
	literal := regexp.MustCompile(`"((?:common|nav|index|vote|receipt|spoiled|observe|err|phase|rule|contest|type)\.[a-z0-9_.]+)"`)
	list := func(src, re string) []string {
		m := regexp.MustCompile(re).FindStringSubmatch(src)
		require.NotNil(t, m, "no list %s", re)
		var out []string
		for _, q := range regexp.MustCompile(`"([a-z_.]+)"`).FindAllStringSubmatch(m[1], -1) {
			out = append(out, q[1])
		}
		require.NotEmpty(t, out, re)
		return out
	}
	for _, f := range files {
		b, err := fs.ReadFile(assets, f)
		require.NoError(t, err)
		src, name := string(b), path.Base(f)
		if strings.HasPrefix(name, "admin") {
			continue // the console has its own catalogues (admin_test.go)
		}
		switch path.Ext(f) {
		case ".html":
			for _, m := range attr.FindAllStringSubmatch(src, -1) {
				used[m[1]] = name
			}
		case ".js":
			if name == "wasm_exec.js" {
				continue
			}
			for _, m := range literal.FindAllStringSubmatch(src, -1) {
				used[m[1]] = name
			}
			if name == "common.js" {
				for _, code := range list(src, `const known = \[([^\]]*)\]`) {
					used["err."+code+".title"], used["err."+code+".text"] = name, name
				}
				for _, code := range list(src, `const codes = \[([^\]]*)\]`) {
					used["code."+code] = name
				}
				for _, p := range list(src, `const phases = \[([^\]]*)\]`) {
					used["phase."+p] = name
				}
			}
			if name == "observe.js" {
				for _, ty := range list(src, `const typeLabels = new Set\(\[([^\]]*)\]`) {
					used["type."+ty] = name
				}
				for _, k := range []string{"observe.cp_matched", "observe.cp_signed"} {
					used[k+"_cosigned"] = name
				}
			}
		}
	}
	return used
}

// TestCatalogueKeysUsed: every key the pages use is in the English
// catalogue (so in every catalogue), and every English key is used.
func TestCatalogueKeysUsed(t *testing.T) {
	en := readCatalogue(t, "en")
	used := usedKeys(t)
	require.Greater(t, len(used), 100)
	for key, file := range used {
		assert.Contains(t, en, key, "%s uses %q, which is not in the English catalogue", file, key)
	}
	for key := range en {
		assert.Contains(t, used, key, "the English catalogue has %q, which no page uses", key)
	}
}

// TestLanguagesList: the switcher in common.js offers exactly the shipped
// catalogues, each named in its own language.
func TestLanguagesList(t *testing.T) {
	b, err := fs.ReadFile(assets, "assets/common.js")
	require.NoError(t, err)
	m := regexp.MustCompile(`const LANGS = \{([^}]*)\}`).FindStringSubmatch(string(b))
	require.NotNil(t, m)
	var got []string
	for _, p := range regexp.MustCompile(`([a-z]{2}): "[^"]+"`).FindAllStringSubmatch(m[1], -1) {
		got = append(got, p[1])
	}
	assert.Equal(t, languages, got)
	for _, lang := range languages {
		resp := get(t, "GET", "/assets/i18n-"+lang+".json")
		assert.Equal(t, 200, resp.StatusCode, lang)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), lang)
	}
	assert.Equal(t, 404, get(t, "GET", "/assets/i18n-xx.json").StatusCode)
}

// TestErrorCodesTranslated: every stable error code the pages can meet,
// the service's (e2e/service/errors.go), the board's (bulletin/api.go)
// and the WebAssembly client's (cmd/tabellawasm/errors.go), is in
// common.js's list of codes, so each has its sentence in every catalogue
// (TestCatalogueKeysUsed, TestCatalogues); and the list names no other.
func TestErrorCodesTranslated(t *testing.T) {
	b, err := fs.ReadFile(assets, "assets/common.js")
	require.NoError(t, err)
	m := regexp.MustCompile(`const codes = \[([^\]]*)\]`).FindStringSubmatch(string(b))
	require.NotNil(t, m)
	var listed []string
	for _, q := range regexp.MustCompile(`"([a-z_]+)"`).FindAllStringSubmatch(m[1], -1) {
		listed = append(listed, q[1])
	}
	want := []string{"network", "loading"} // the page's own: fetch failed, client not started
	for _, src := range []struct{ file, re string }{
		{"../../../../e2e/service/errors.go", `\bCode[A-Za-z]+ += "([a-z_]+)"`},
		{"../../../../bulletin/api.go", `\bCode[A-Za-z]+ += "([a-z_]+)"`},
		{"../../../tabellawasm/errors.go", `\bcode[A-Za-z]+ += "([a-z_]+)"`},
	} {
		data, err := os.ReadFile(src.file)
		require.NoError(t, err)
		found := regexp.MustCompile(src.re).FindAllStringSubmatch(string(data), -1)
		require.NotEmpty(t, found, src.file)
		for _, f := range found {
			assert.Contains(t, listed, f[1], "code %q of %s is not in common.js's codes", f[1], src.file)
			if !slices.Contains(want, f[1]) {
				want = append(want, f[1])
			}
		}
	}
	slices.Sort(want)
	slices.Sort(listed)
	uniq := slices.Compact(slices.Clone(listed))
	assert.Len(t, uniq, len(listed), "a code listed twice")
	assert.Equal(t, want, uniq, "common.js lists exactly the codes")
	en := readCatalogue(t, "en")
	for _, lang := range languages {
		cat := readCatalogue(t, lang)
		for _, code := range listed {
			require.Contains(t, cat, "code."+code, "%s has no sentence for %q", lang, code)
			if lang != "en" {
				assert.NotEqual(t, en["code."+code].text, cat["code."+code].text, "%s: code.%s is the English sentence", lang, code)
			}
		}
	}
}
