package connect

import (
	"mime"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/seqset"
)

// File Stash limits. Keys follow the OpenAPI document's pattern; "1day/"
// is the lifetime of the bucket Pipedream keeps them in, which pdemu
// applies: a file is gone FileStashTTL after it was put.
const (
	MaxS3KeyLen   = 1024 // S3's own limit on object keys, in bytes
	MaxStashBytes = 32 << 20
	FileStashTTL  = 24 * time.Hour
)

// s3KeyPattern is the OpenAPI document's pattern for s3_key.
var s3KeyPattern = regexp.MustCompile(`^1day/[^/]+/[^/]+/[^/]+/u/.*$`)

// StashFile is a file in a project environment's File Stash: what an
// action wrote to /tmp with a stash_id, put here through the control plane.
type StashFile struct {
	ProjectID   string
	Environment Environment
	S3Key       string
	Content     []byte
	ContentType string
	CreatedAt   time.Time
	ExpiresAt   time.Time

	seq uint64
}

// fileKind files stashed files by project environment and key, in their
// project's index, and by expiry so that they are forgotten once their day
// is up. Keys carry no external user, so files belong to the project.
var fileKind = ownedKind[StashFile]{
	limit:   LimitFiles,
	key:     func(f *StashFile) string { return fileKey(f.ProjectID, f.Environment, f.S3Key) },
	seq:     func(f *StashFile) uint64 { return f.seq },
	expires: func(f *StashFile) time.Time { return f.ExpiresAt },
	indexes: func(s *Store, f *StashFile) []*seqset.Set[*StashFile] {
		return projectIndex(s, f.ProjectID, func(p *projectRecord) *seqset.Set[*StashFile] { return &p.files })
	},
	ofProject: func(p *projectRecord) *seqset.Set[*StashFile] { return &p.files },
}

// fileKey is a stashed file's key in the family: NUL cannot occur in any of
// its parts (S3 keys refuse control characters), so it separates them.
func fileKey(project string, env Environment, s3Key string) string {
	return project + "\x00" + string(env) + "\x00" + s3Key
}

// ValidateS3Key checks a File Stash key: 1..1024 bytes of UTF-8 without
// control characters, shaped 1day/<a>/<b>/<c>/u/<path> as the OpenAPI
// document requires. Errors: invalid_request.
func ValidateS3Key(key string) error {
	switch {
	case key == "":
		return apperr.ErrInvalid.WithMessage("s3_key is required")
	case len(key) > MaxS3KeyLen:
		return apperr.ErrInvalid.WithMessage("s3_key is longer than %d bytes", MaxS3KeyLen)
	case !utf8.ValidString(key) || slices.ContainsFunc([]rune(key), func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return apperr.ErrInvalid.WithMessage("s3_key must be UTF-8 text without control characters")
	case !s3KeyPattern.MatchString(key):
		return apperr.ErrInvalid.WithMessage("s3_key %q must look like 1day/<a>/<b>/<c>/u/<path> (pattern %s)", clipInput(key, 100), s3KeyPattern)
	}
	return nil
}

// PutFile stores a file in a project environment's File Stash, replacing
// one under the same key; it expires FileStashTTL later. contentType ""
// means application/octet-stream. This is the control plane's door: no
// caller access applies. Errors: invalid_request (key, type, size),
// not_found (project).
func (s *Store) PutFile(projectID string, env Environment, key string, content []byte, contentType string) (StashFile, error) {
	if err := ValidateS3Key(key); err != nil {
		return StashFile{}, err
	}
	if len(content) > MaxStashBytes {
		return StashFile{}, apperr.ErrInvalid.WithMessage("a stashed file may be at most %d bytes", MaxStashBytes)
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	} else if _, _, err := mime.ParseMediaType(contentType); err != nil || len(contentType) > 200 {
		return StashFile{}, apperr.ErrInvalid.WithMessage("content_type must be a media type such as text/plain or application/pdf")
	}
	now := s.clock.Now()
	f := &StashFile{
		ProjectID: projectID, Environment: env, S3Key: key, Content: slices.Clone(content),
		ContentType: contentType, CreatedAt: now, ExpiresAt: now.Add(FileStashTTL),
	}
	s.lock()
	defer s.mu.Unlock()
	if _, ok := s.projects[projectID]; !ok {
		return StashFile{}, apperr.ErrNotFound.WithMessage("no project %q", clipInput(projectID, 100))
	}
	if old, ok := s.files.get(fileKey(projectID, env, key)); ok {
		s.files.remove(s, old)
	} else if err := s.files.room(s); err != nil {
		return StashFile{}, err
	}
	if f.Content == nil {
		f.Content = []byte{}
	}
	f.seq = s.nextSeq()
	s.files.add(s, f)
	v := *f
	return v, nil
}

// File returns a stashed file of a project environment the caller can see.
// A file past its expiry is gone. Errors: invalid_request (key),
// not_found (project or file).
func (s *Store) File(a Access, projectID string, env Environment, key string) (StashFile, error) {
	if err := ValidateS3Key(key); err != nil {
		return StashFile{}, err
	}
	now := s.clock.Now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.project(a, projectID); err != nil {
		return StashFile{}, err
	}
	f, ok := s.files.get(fileKey(projectID, env, key))
	if !ok || !now.Before(f.ExpiresAt) {
		return StashFile{}, apperr.ErrNotFound.WithMessage("no file %q in the %s File Stash", clipInput(key, 100), env)
	}
	// Content is never changed in place (a put replaces the record), so
	// the copy can share it.
	return *f, nil
}
