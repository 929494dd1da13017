Welcome to ${name} in ${zone}
