from django.urls import path

from backline.knowledge import views

app_name = "knowledge"
urlpatterns = [
    path("", views.article_list, name="list"),
    path("new", views.article_create, name="create"),
    path("insights", views.insights, name="insights"),
    path("policy", views.policies, name="policies"),
    path("suggest", views.suggest, name="suggest"),
    path("create-solved", views.create_solved, name="create_solved"),
    path("reviews/<int:pk>/close", views.review_close, name="review_close"),
    path("tickets/<str:number>/draft", views.draft_from_ticket, name="draft_from_ticket"),
    path("tickets/<str:number>/suggestions", views.ticket_suggestions, name="ticket_suggestions"),
    path("tickets/<str:number>/use", views.ticket_use, name="ticket_use"),
    path("tickets/<str:number>/decision", views.ticket_decide, name="ticket_decide"),
    path("<str:number>", views.article_detail, name="detail"),
    path("<str:number>/edit", views.article_edit, name="edit"),
    path("<str:number>/transition", views.article_transition, name="transition"),
    path("<str:number>/feedback", views.article_feedback, name="feedback"),
    path("<str:number>/versions", views.article_versions, name="versions"),
]
