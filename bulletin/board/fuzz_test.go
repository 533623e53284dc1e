package board

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzHandler sends arbitrary paths, queries and cosignature bodies to the
// read API: no panic, never a 5xx, and every error a JSON error body.
func FuzzHandler(f *testing.F) {
	k := newKeys(f, testBoardName)
	b := openBoard(f, "sqlite:"+f.TempDir()+"/b.db", k)
	appendN(f, b, "e", 0, 5)
	h := NewHandler(b, HandlerOptions{AllowCosign: true})
	n, _ := b.Checkpoint(context.Background(), "e")
	for _, p := range []string{
		"/v1/elections/e/entries?start=0&end=3", "/v1/elections/e/entries/2",
		"/v1/elections/e/entries/by-hash/00", "/v1/elections/e/checkpoint",
		"/v1/elections/e/proof/inclusion?index=1&size=5", "/v1/elections/e/proof/consistency?old=2&new=5",
		"/v1/elections/e/entries?start=18446744073709551615",
	} {
		f.Add(p, "")
	}
	f.Add("/v1/elections/e/cosignature", string(n))
	f.Fuzz(func(t *testing.T, path, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n#") {
			return
		}
		u, err := url.ParseRequestURI(path)
		if err != nil || strings.HasSuffix(u.Path, "/feed") {
			return
		}
		method := http.MethodGet
		if body != "" {
			method = http.MethodPost
		}
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body.String())
		}
		if rec.Code >= 400 && rec.Code != 404 && rec.Code != 405 && !strings.HasPrefix(rec.Body.String(), `{"code":"`) {
			t.Fatalf("%s %s: %d without a JSON error: %s", method, path, rec.Code, rec.Body.String())
		}
	})
}
