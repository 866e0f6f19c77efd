package server

// routes is the one place where every route is declared.
func (s *Server) routes() {
	e := s.e
	e.GET("/healthz", s.health)

	api := e.Group("/api/v1")
	api.GET("/search", s.apiSearch)
	api.POST("/match", s.apiMatch)
	api.GET("/results/:id", s.apiResult)
	api.GET("/needs/:id", s.apiNeed)
	api.GET("/stats", s.apiStats)

	e.GET("/", s.webSearch)
	e.GET("/ket-qua/:id", s.webResult)
	e.GET("/nhu-cau/:id", s.webNeed)
	e.StaticFS("/static", staticFS)
}
