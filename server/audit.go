package server

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// The audit log records every write, who made it and when, with the data (DATA/audit.log, JSON lines,
// appended and synced): uploads, edits, deletes, retries, sign-ins, backups, exports, needs submitted, published,
// rejected or closed, and refused attempts. It never holds a key or a password, only the id and name of
// the key or user.

type auditLog struct {
	mu sync.Mutex
	f  *os.File
}

type auditEntry struct {
	Time      time.Time `json:"time"`
	KeyID     string    `json:"key_id,omitempty"`
	KeyName   string    `json:"key_name,omitempty"`
	User      bool      `json:"user,omitempty"` // key_id and key_name are a user's (ketnoi users), not a key's
	Role      string    `json:"role,omitempty"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Status    int       `json:"status"`
	IP        string    `json:"ip"`
	RequestID string    `json:"request_id,omitempty"`
	// Action, Target and Reason say what a handler did, when the method and path alone do not (see
	// noteAudit): "need.reject" of need nc-… with the reason given.
	Action string `json:"action,omitempty"`
	Target string `json:"target,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// ctxAudit is where a handler leaves what it did for the audit entry.
const ctxAudit = "ketnoi.audit"

type auditNote struct{ action, target, reason string }

// noteAudit names what the request did, for its audit entry.
func noteAudit(c echo.Context, action, target, reason string) {
	c.Set(ctxAudit, auditNote{action, target, reason})
}

// openAudit opens (creating) the audit log of a data directory.
func openAudit(dir string) (*auditLog, error) {
	f, err := os.OpenFile(filepath.Join(dir, "audit.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return &auditLog{f: f}, nil
}

func (a *auditLog) write(e auditEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(append(b, '\n')); err != nil {
		return err
	}
	return a.f.Sync()
}

func (a *auditLog) close() error {
	if a == nil {
		return nil
	}
	return a.f.Close()
}

// backupRoute and exportRoute are the reads that are audited: one hands out the whole data directory, the
// other every record of a kind, confidential needs included.
const (
	backupRoute = "/api/v1/admin/backup"
	exportRoute = "/api/v1/export"
)

// auditWrites is middleware: after every request that is not a read, and every backup and export, one
// audit entry.
func (s *Server) auditWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		m := c.Request().Method
		// An OAI-PMH POST is a read sent as a form (oai.go).
		if s.audit == nil || safeMethod(m) && c.Path() != backupRoute && c.Path() != exportRoute || c.Path() == oaiPath {
			return err
		}
		status := c.Response().Status
		if err != nil {
			// The central error handler has not run yet: take the status the error will get.
			status = http.StatusInternalServerError
			switch e := err.(type) {
			case *APIError:
				status = e.Status
			case *echo.HTTPError:
				status = e.Code
			}
		}
		// Follow and feed tokens open what the store keeps only the hash of: the path is redacted as in the
		// request log, whatever method reached it.
		entry := auditEntry{Time: time.Now().UTC(), Method: m, Path: redactPath(c.Request().URL.Path), Status: status,
			IP: c.RealIP(), RequestID: c.Response().Header().Get(echo.HeaderXRequestID)}
		if k, ok := principal(c); ok {
			entry.KeyID, entry.KeyName, entry.Role, entry.User = k.ID, k.Name, string(k.Role), k.User
		}
		if n, ok := c.Get(ctxAudit).(auditNote); ok {
			entry.Action, entry.Target, entry.Reason = n.action, n.target, n.reason
		}
		if werr := s.audit.write(entry); werr != nil {
			s.reqLog(c).Error("audit log", "error", werr.Error())
		}
		return err
	}
}
