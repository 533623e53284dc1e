package web

import (
	"io"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAdminCatalogues: the console's catalogues (admin-i18n-<lang>.json)
// pass the same checks as the pages' catalogues.
func TestAdminCatalogues(t *testing.T) { checkCatalogues(t, "admin-i18n") }

// TestAdminKeysUsed: every key the console names is in its English
// catalogue or the pages' shared one, and every key of its catalogue is
// used by the console.
func TestAdminKeysUsed(t *testing.T) {
	admin := readCatalogueFile(t, "admin-i18n", "en")
	shared := readCatalogue(t, "en")
	used := map[string]string{}
	attr := regexp.MustCompile(`data-i18n(?:-placeholder|-aria-label|-title)?="([^"]+)"`)
	literal := regexp.MustCompile(`"((?:admin|common|nav|phase)\.[a-z0-9_.]+)"`)
	for _, f := range []string{"admin.html", "admin.js"} {
		b, err := fs.ReadFile(assets, "assets/"+f)
		require.NoError(t, err)
		for _, re := range []*regexp.Regexp{attr, literal} {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = f
			}
		}
	}
	require.Greater(t, len(used), 100)
	for key, file := range used {
		_, inAdmin := admin[key]
		_, inShared := shared[key]
		assert.True(t, inAdmin || inShared, "%s uses %q, in neither English catalogue", file, key)
		if strings.HasPrefix(key, "admin.") {
			assert.True(t, inAdmin, "%s uses %q, not in admin-i18n-en.json", file, key)
		}
	}
	for key := range admin {
		assert.Contains(t, used, key, "admin-i18n-en.json has %q, which the console does not use", key)
		assert.NotContains(t, shared, key, "%q is in both catalogues", key)
	}
}

// TestAdminRoute: /admin serves the console with the pages' headers; it
// names its catalogues for common.js.
func TestAdminRoute(t *testing.T) {
	for _, p := range []string{"/admin", "/admin/"} {
		resp := get(t, "GET", p)
		require.Equal(t, 200, resp.StatusCode, p)
		assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
		assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self' 'wasm-unsafe-eval'")
		body, _ := io.ReadAll(resp.Body)
		assert.Contains(t, string(body), `data-i18n-extra="admin-i18n"`)
		assert.Contains(t, string(body), `/assets/admin.js`)
	}
	assert.Equal(t, 404, get(t, "GET", "/admin/x").StatusCode)
	assert.Equal(t, 404, get(t, "GET", "/assets/admin.html").StatusCode)
	assert.Equal(t, 405, get(t, "POST", "/admin").StatusCode)
	for _, lang := range languages {
		resp := get(t, "GET", "/assets/admin-i18n-"+lang+".json")
		assert.Equal(t, 200, resp.StatusCode, lang)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), lang)
	}
}
