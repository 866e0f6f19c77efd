package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer/bleveidx"
	"ketnoi/internal/corpustest"
)

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files, and returns them with a pool
// that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ketnoi thử"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestRunServesTLS: with a certificate the server serves HTTPS itself, and its cookies are Secure.
func TestRunServesTLS(t *testing.T) {
	dir, st, idx := corpustest.Empty(t)
	cfg := DefaultConfig()
	cfg.Keys = corpus.OpenKeyring(dir)
	cfg.TLSCertFile, cfg.TLSKeyFile, _ = selfSigned(t)
	_, _, pool := selfSigned(t) // another certificate: a client trusting only it must refuse the server
	certPool := x509.NewCertPool()
	certPEM, _ := os.ReadFile(cfg.TLSCertFile)
	certPool.AppendCertsFromPEM(certPEM)

	srv := New(cfg, idx, st, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, "127.0.0.1:0", func(u string) { urls <- u }) }()
	u := <-urls
	if !strings.HasPrefix(u, "https://") {
		t.Fatalf("Run announced %s", u)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: certPool}}}
	resp, err := client.Get(u + strings.TrimPrefix(loginPath, "/"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if c := cookieNamed(resp, loginCookie); resp.StatusCode != http.StatusOK || c == nil || !c.Secure {
		t.Errorf("sign-in page over TLS: %d, cookie %+v", resp.StatusCode, c)
	}
	wrong := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if _, err := wrong.Get(u + "healthz"); err == nil {
		t.Error("a client trusting another certificate was answered")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestRunRefusesMissingCertificate(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TLSCertFile, cfg.TLSKeyFile = filepath.Join(t.TempDir(), "khong-co.pem"), filepath.Join(t.TempDir(), "khong-co.key")
	dir := t.TempDir()
	idx, err := bleveidx.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	err = New(cfg, idx, nil, nil, nil).Run(context.Background(), "127.0.0.1:0", nil)
	if err == nil || !strings.Contains(err.Error(), "chứng chỉ TLS") {
		t.Errorf("Run with a missing certificate: %v", err)
	}
}
