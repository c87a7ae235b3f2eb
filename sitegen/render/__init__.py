"""From the site model to files: Jinja templates and UI strings, the form as its contract
defines it, the site-wide files (feeds, sitemap, robots.txt), the moderators' inbox pages,
fingerprinted assets and images, a text's images as the same `<picture>`; a page's text takes no
id of the page around it."""
