"""buildindex: the home page, tag pages, 404 page, feeds and sitemap, from rendermd's manifest."""
