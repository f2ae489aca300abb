package github

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/aitdr/aitdr/responder/connectors/internal/rest"
)

// parsePrivateKey reads an App's PEM key: PKCS #1, as GitHub issues it, or
// PKCS #8.
func parsePrivateKey(pemText string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("neither a PKCS #1 nor a PKCS #8 key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T key, GitHub Apps sign with RSA", k)
	}
	return rk, nil
}

// appJWT returns the JWT a GitHub App authenticates with: RS256, issued a
// minute in the past against clock drift, valid for nine minutes (GitHub
// accepts at most ten).
func appJWT(key *rsa.PrivateKey, appID string, now time.Time) (string, error) {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims, err := json.Marshal(map[string]any{
		"iat": now.Add(-time.Minute).Unix(),
		"exp": now.Add(9 * time.Minute).Unix(),
		"iss": appID,
	})
	if err != nil {
		return "", err
	}
	signing := header + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign app JWT: %w", err)
	}
	return signing + "." + enc.EncodeToString(sig), nil
}

// installationTokens gets and caches an installation access token per
// installation. It is safe for concurrent use.
type installationTokens struct {
	api   *rest.Client // authorized by the App's JWT
	now   func() time.Time
	mu    sync.Mutex
	cache map[int64]cachedToken
}

type cachedToken struct {
	token   string
	expires time.Time
}

// tokenMargin renews an installation token this long before it expires.
const tokenMargin = 5 * time.Minute

func (it *installationTokens) get(ctx context.Context, installation int64) (string, error) {
	it.mu.Lock()
	defer it.mu.Unlock()
	if c, ok := it.cache[installation]; ok && it.now().Before(c.expires) {
		return c.token, nil
	}
	var out struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if _, err := it.api.Do(ctx, rest.Call{Op: "github:CreateInstallationAccessToken", Method: http.MethodPost,
		Path: "/app/installations/" + strconv.FormatInt(installation, 10) + "/access_tokens", Out: &out}); err != nil {
		return "", err
	}
	if out.Token == "" {
		return "", fmt.Errorf("github installation %d: no token in the answer", installation)
	}
	it.cache[installation] = cachedToken{token: out.Token, expires: out.ExpiresAt.Add(-tokenMargin)}
	return out.Token, nil
}
