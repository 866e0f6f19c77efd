package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestHarvestAllowNet: a repository named by a host name that resolves to this machine is refused with a
// message naming the host, the address and the flag; --allow-net lets the operator harvest it; a value
// that is not an address or a network is a usage error.
func TestHarvestAllowNet(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2025-06-01T10:00:00Z</responseDate><request>http://kho/oai</request>`
	var hits atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		if r.URL.Query().Get("verb") == "Identify" {
			fmt.Fprint(w, head+`<Identify><repositoryName>Kho nội bộ</repositoryName><baseURL>http://kho/oai</baseURL>
<protocolVersion>2.0</protocolVersion><adminEmail>a@kho.example.vn</adminEmail><earliestDatestamp>2010-01-01T00:00:00Z</earliestDatestamp>
<deletedRecord>persistent</deletedRecord><granularity>YYYY-MM-DDThh:mm:ssZ</granularity></Identify></OAI-PMH>`)
			return
		}
		fmt.Fprint(w, head+`<error code="noRecordsMatch">Không có gì.</error></OAI-PMH>`)
	}))
	defer ts.Close()
	base := strings.Replace(ts.URL, "127.0.0.1", "localhost", 1) + "/oai"
	data := filepath.Join(t.TempDir(), "data")

	code, out, errOut := ketnoi(t, "harvest", "--data", data, "--retries", "0", base)
	if code == 0 || hits.Load() != 0 || !strings.Contains(errOut, "không kết nối tới localhost") || !strings.Contains(errOut, "--allow-net") {
		t.Errorf("harvest of a name resolving to loopback: exit %d, %d requests\n%s\n%s", code, hits.Load(), out, errOut)
	}
	code, out, errOut = ketnoi(t, "harvest", "--data", data, "--allow-net", "127.0.0.0/8,::1", base)
	if code != 0 || hits.Load() == 0 || !strings.Contains(out, "0 bản ghi") {
		t.Errorf("harvest with --allow-net: exit %d, %d requests\n%s\n%s", code, hits.Load(), out, errOut)
	}
	code, _, errOut = ketnoi(t, "harvest", "--data", data, "--allow-net", "kho.noibo", base)
	if code != 2 || !strings.Contains(errOut, "--allow-net") || !strings.Contains(errOut, "CIDR") {
		t.Errorf("--allow-net kho.noibo: exit %d\n%s", code, errOut)
	}
}
