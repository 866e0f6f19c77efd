package server

import "ketnoi/corpus"

// uploadRoute takes uploads of documents, a large body (see bodyLimit and apiUpload).
const uploadRoute = "/api/v1/documents"

// routes is the one place where every route is declared.
func (s *Server) routes() {
	e := s.e
	e.GET("/healthz", s.health)
	e.GET("/readyz", s.ready)
	if !s.cfg.Metrics.Disabled {
		e.GET("/metrics", s.metricsHandler(), s.metricsGate()...)
	}

	api := e.Group("/api/v1")
	api.GET("/search", s.apiSearch)
	api.POST("/match", s.apiMatch)
	api.POST("/match/reverse", s.apiReverse)
	api.GET("/results/:id/needs", s.apiReverseStored)
	api.GET("/results/:id/similar", s.apiSimilar)
	api.GET("/results/:id", s.apiResult)
	api.GET("/results/:id/file", s.apiOriginal)
	api.GET("/needs/:id", s.apiNeed)
	api.GET("/stats", s.apiStats)
	api.GET("/stats/market", s.apiStatsMarket)
	api.GET("/openapi.json", s.apiOpenAPI)

	// Writes: a key with the right role first, before anything of the request is read.
	staff := s.requireRole(corpus.RoleStaff)
	anyRole := s.requireRole(corpus.RoleStaff, corpus.RoleBroker, corpus.RoleAdmin)
	api.GET("/whoami", s.apiWhoami, anyRole)
	api.GET(batchRoute, s.apiMatchBatch, anyRole)
	api.POST("/match/feedback", s.apiFeedbackPost, anyRole)
	api.GET("/match/feedback", s.apiFeedbackList, anyRole)
	e.POST(uploadRoute, s.apiUpload, staff)
	e.POST(recordsRoute, s.apiImportRecords, staff)
	e.POST(pruneRoute, s.apiPrune, staff)
	api.GET("/documents/:sha", s.apiDocumentHeld, staff)
	api.GET("/export", s.apiExport, staff)
	api.GET("/jobs", s.apiJobs, staff)
	api.GET("/jobs/:id", s.apiJob, staff)
	api.POST("/jobs/:id/retry", s.apiJobRetry, staff)
	api.PATCH("/results/:id", s.apiEdit(corpus.KindResult), staff)
	api.DELETE("/results/:id", s.apiDelete(corpus.KindResult), staff)
	api.PATCH("/needs/:id", s.apiEdit(corpus.KindNeed), staff)
	api.DELETE("/needs/:id", s.apiDelete(corpus.KindNeed), staff)
	api.GET("/admin/backup", s.apiBackup, s.requireRole(corpus.RoleAdmin))
	api.POST("/admin/compact", s.apiCompactStart, s.requireRole(corpus.RoleStaff, corpus.RoleAdmin))
	api.GET("/admin/compact", s.apiCompactStatus, s.requireRole(corpus.RoleStaff, corpus.RoleAdmin))

	// The needs intake (intake_api.go): brokers and staff enter needs and work the review queue; the
	// enterprise follows its need by the token of its private link, without a key.
	reviewer := s.requireRole(corpus.RoleStaff, corpus.RoleBroker)
	api.POST("/needs", s.apiIntakeSubmit, reviewer)
	api.GET("/needs/:id/status", s.apiNeedStatus, anyRole)
	api.POST("/needs/:id/state", s.apiNeedState, staff)
	api.GET("/intake", s.apiIntakeList, reviewer)
	api.GET("/intake/:id", s.apiIntakeItem, reviewer)
	api.PATCH("/intake/:id", s.apiIntakeEdit, reviewer)
	api.POST("/intake/:id/publish", s.apiIntakePublish, reviewer)
	api.POST("/intake/:id/reject", s.apiIntakeReject, reviewer)
	api.GET("/intake/status/:token", s.apiIntakeFollow)

	// Alerts of standing needs (alerts.go): JSON for keys, feeds by their token.
	api.GET("/alerts", s.apiAlerts, anyRole)
	api.GET("/needs/:id/alerts", s.apiNeedAlerts, anyRole)
	api.POST("/needs/:id/feed-token", s.apiFeedToken(corpus.FeedNeed), staff)
	api.POST("/brokers/:name/feed-token", s.apiFeedToken(corpus.FeedBroker), staff)
	e.GET(resultsFeedPath, s.resultsFeed)
	e.GET(feedsPrefix+"needs/:file", s.feed(corpus.FeedNeed))
	e.GET(feedsPrefix+"brokers/:file", s.feed(corpus.FeedBroker))

	e.GET("/", s.webSearch)
	e.GET("/ket-qua/:id", s.webResult)
	e.GET("/nhu-cau/:id", s.webNeed)
	e.GET(statsPath, s.webStats)
	// The public need form (intake.go): the one write open to everyone.
	e.GET(intakePath, s.webIntakeForm)
	e.POST(intakePath, s.webIntakePost)
	e.GET(intakeDonePath, s.webIntakeDone)
	e.GET(followPrefix+":token", s.webFollow)
	e.StaticFS("/static", staticFS)
	// OAI-PMH 2.0 (oai.go): results for other repositories and exchanges to harvest; GET or POST form.
	e.GET(oaiPath, s.oaiRespond)
	e.POST(oaiPath, s.oaiRespond)

	// Staff pages (staff.go): signed in with a key once, then a session cookie and CSRF tokens (session.go).
	s.staff = newStaffState()
	staffPage := s.staffPage(csrfInForm)
	e.GET(loginPath, s.webSignIn)
	e.POST(loginPath, s.webSignInPost)
	e.POST("/can-bo/dang-xuat", s.webSignOut)
	e.GET("/can-bo", s.webStaff, staffPage)
	e.POST(staffUploadRoute, s.webStaffUpload, s.staffPage(csrfFirstPart))
	e.POST("/can-bo/thu-lai/:id", s.webStaffRetry, staffPage)
	e.POST(staffCompactRoute, s.webStaffCompact, staffPage)
	e.GET("/can-bo/sua/:id", s.webStaffEdit, staffPage)
	e.POST("/can-bo/sua/:id", s.webStaffEditPost, staffPage)
	brokerPage := s.rolePage(csrfInForm, corpus.RoleStaff, corpus.RoleBroker)
	e.GET(brokerPath, s.webBroker, brokerPage)
	e.POST(brokerPath+"/quyet-dinh", s.webBrokerDecide, brokerPage)
	// The review queue (intake_staff.go): staff and brokers; closing and reopening, staff only.
	reviewPage := s.rolePage(csrfInForm, corpus.RoleStaff, corpus.RoleBroker)
	e.GET(queuePath, s.webQueue, reviewPage)
	e.GET(queuePath+"/:id", s.webQueueItem, reviewPage)
	e.POST(queuePath+"/:id", s.webQueueSave, reviewPage)
	e.POST(queuePath+"/:id/tu-choi", s.webQueueReject, reviewPage)
	e.POST(queuePath+"/:id/trang-thai", s.webNeedState, staffPage)
}
