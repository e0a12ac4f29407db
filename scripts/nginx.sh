# Sourced by the HTTP benchmarks (bench-http.sh, bench-https.sh,
# soak-shards.sh): one nginx worker on 127.0.0.1 serving a 612-byte page
# (the size of nginx's default page) from WORK, which holds its
# configuration, logs and temporary files.
#
#   start_nginx WORK PORT [LISTEN_PARAMETERS] [SERVER_DIRECTIVES]
#
# e.g. start_nginx "$work" 8443 " ssl http2" "ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;"
# Writes WORK/www/index.html and WORK/nginx.conf and starts nginx (its pid in
# WORK/nginx.pid); the caller waits for it to answer and stops it.
start_nginx() {
  local work=$1 port=$2 listen=${3:-} directives=${4:-}
  mkdir -p "$work/www"
  head -c 612 /dev/zero | tr '\0' 'x' > "$work/www/index.html"
  cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000000;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
  server {
    listen 127.0.0.1:$port$listen;
    $directives
    root $work/www;
  }
}
NGINX
  nginx -e "$work/error.log" -c "$work/nginx.conf" -p "$work"
}
