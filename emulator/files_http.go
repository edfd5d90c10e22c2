package emulator

import (
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/connect"
)

// downloadFile serves GET /v1/connect/{project_id}/file_stash/download
// ?s3_key=…: the file's bytes, or 404. pdemu answers 200 with the bytes,
// never Pipedream's other option, a 302 to a presigned URL. The answer is
// always Content-Type: application/octet-stream, the only content the
// OpenAPI document gives its 200 (operation downloadFileStashFile,
// https://pipedream.com/docs/connect/api-reference/download-file), whatever
// content_type the file was put with: that type stays in the control
// plane's record of the file (stashFileJSON) and is not sent on download,
// not even as a Content-Disposition, which the document does not list.
func (e *Emulator) downloadFile(r *http.Request, c *call) (response, error) {
	key := r.URL.Query().Get("s3_key")
	if key == "" {
		return response{}, apperr.ErrInvalid.WithMessage("s3_key is required")
	}
	f, err := e.connect.File(c.access(), c.projectID, c.env, key)
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, raw: f.Content, contentType: octetStream}, nil
}

// octetStream is the download's one content type.
const octetStream = "application/octet-stream"

// stashFileJSON is a stashed file as the control plane shows it (never
// its bytes).
type stashFileJSON struct {
	ProjectID   string `json:"project_id"`
	Environment string `json:"environment"`
	S3Key       string `json:"s3_key"`
	Size        int    `json:"size"`
	ContentType string `json:"content_type"`
	CreatedAt   string `json:"created_at"`
	ExpiresAt   string `json:"expires_at"`
}

func toStashFileJSON(f connect.StashFile) stashFileJSON {
	return stashFileJSON{
		ProjectID: f.ProjectID, Environment: string(f.Environment), S3Key: f.S3Key, Size: len(f.Content),
		ContentType: f.ContentType, CreatedAt: f.CreatedAt.Format(time.RFC3339), ExpiresAt: f.ExpiresAt.Format(time.RFC3339),
	}
}

// putFile serves PUT /_emulator/projects/{project_id}/files {s3_key,
// content_base64, environment?, content_type?}: it stashes a file as an
// action run with a stash_id would, for fileStash.downloadFile to fetch.
func (e *Emulator) putFile(r *http.Request, c *call) (response, error) {
	var body struct {
		S3Key         string  `json:"s3_key"`
		ContentBase64 *string `json:"content_base64"`
		Environment   string  `json:"environment"`
		ContentType   string  `json:"content_type"`
	}
	if err := decodeStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	if body.ContentBase64 == nil {
		return response{}, apperr.ErrInvalid.WithMessage(`"content_base64" is required: the file's bytes in base64 ("" for an empty file)`)
	}
	content, err := decodeBase64(*body.ContentBase64)
	if err != nil {
		return response{}, apperr.ErrInvalid.WithMessage(`"content_base64" is not base64`)
	}
	f, err := e.putStashFile(c.vars["project_id"], body.Environment, body.S3Key, content, body.ContentType)
	if err != nil {
		return response{}, err
	}
	return created(toStashFileJSON(f))
}

// decodeBase64 accepts the standard and URL-safe alphabets, padded or not.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(strings.NewReplacer("-", "+", "_", "/").Replace(s), "=")
	return base64.RawStdEncoding.DecodeString(s)
}

func (e *Emulator) putStashFile(projectID, environment, s3Key string, content []byte, contentType string) (connect.StashFile, error) {
	env, err := fixtureEnvironment(environment)
	if err != nil {
		return connect.StashFile{}, err
	}
	return e.connect.PutFile(projectID, env, s3Key, content, contentType)
}
