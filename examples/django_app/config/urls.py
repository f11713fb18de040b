# /health/ is answered by config.health.HealthMiddleware, ahead of host validation; the example has
# no other pages. A real project lists its views here.
urlpatterns: list = []
