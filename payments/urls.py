from payments.views import queue, reconciliation

urlpatterns = [*queue.urlpatterns, *reconciliation.urlpatterns]
