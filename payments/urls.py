from django.urls import path

from payments.views import bank, queue, reconciliation

app_name = "payments"

urlpatterns = [
    path("payments/batches/", queue.batch_list, name="batch-list"),
    path("payments/batches/export.xlsx", queue.batch_list_export, name="batch-list-export"),
    path("payments/batches/<int:pk>/", queue.batch_detail, name="batch-detail"),
    path("payments/batches/<int:pk>/export.xlsx", queue.batch_detail_export, name="batch-detail-export"),
    path("payments/receivables/", queue.receivable_list, name="receivable-list"),
    path("payments/receivables/export.xlsx", queue.receivable_export_xlsx, name="receivable-list-export"),
    path("payments/receivables/export/", queue.export_create, name="receivable-export"),
    path("payments/exports/<int:pk>.<str:fmt>", queue.export_download, name="export-download"),
    path("payments/queue/", queue.queue, name="queue"),
    path("payments/queue/export.xlsx", queue.queue_export, name="queue-export"),
    path("payments/queue/<int:pk>/assign/", queue.assign, name="assign"),
    path("payments/assignments/<int:pk>/decide/", queue.decide, name="decide"),
    path("reconciliation/", reconciliation.reconciliation_page, name="reconciliation"),
    path("reconciliation/export.csv", reconciliation.reconciliation_csv, name="reconciliation-csv"),
    path("reconciliation/export.xlsx", reconciliation.reconciliation_xlsx, name="reconciliation-xlsx"),
    path("reconciliation/print.pdf", reconciliation.reconciliation_pdf, name="reconciliation-pdf"),
    path("reconciliation/bank/", bank.statement_list, name="bank-statements"),
    path("reconciliation/bank/upload/", bank.statement_upload, name="bank-statement-upload"),
    path("reconciliation/bank/template.xlsx", bank.statement_template, name="bank-statement-template"),
]
