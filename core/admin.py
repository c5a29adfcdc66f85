from django.contrib import admin

admin.site.site_header = "Mechanic Shop administration"
admin.site.site_title = "Mechanic Shop"
admin.site.index_title = "Shop records"
